package io.llava4j.convert.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Positional reads of the bytes a {@link CheckpointTensor} lives in: an open file channel (the
 * usual case, so tensors stream from disk) or a small in-memory array (values a pickle held inline).
 * Implementations are safe for concurrent positional reads.
 */
@FunctionalInterface
public interface ByteSource {
    /**
     * Reads into {@code dst} from {@code position}, like {@link java.nio.channels.FileChannel#read(ByteBuffer, long)}.
     *
     * @return bytes read, or -1 at the end
     */
    int read(ByteBuffer dst, long position) throws IOException;

    /** The bytes of {@code data}; positions index the array. */
    static ByteSource of(byte[] data) {
        return (dst, position) -> {
            if (position >= data.length) {
                return -1;
            }
            int n = (int) Math.min(dst.remaining(), data.length - position);
            dst.put(data, (int) position, n);
            return n;
        };
    }
}
