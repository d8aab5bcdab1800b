package io.llava4j.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A bounded, buffered little-endian reader over a file channel for GGUF headers. It knows the file
 * size, so every read is checked against the bytes that are left before anything is allocated, and
 * it reports a short read as a {@link GgufFormatException} naming the file, the offset and what was
 * being read. Not thread-safe; used by one {@link GgufReader#read} call only.
 */
final class GgufInput {
    private static final int BUFFER_SIZE = 1 << 16;
    /** The largest Java array that every VM allocates. */
    static final int MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;

    private final Path path;
    private final FileChannel channel;
    private final long size;
    private final ByteBuffer buf = ByteBuffer.allocate(BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    /** File offset of {@code buf[0]}. */
    private long bufStart;

    GgufInput(Path path, FileChannel channel, long size) {
        this.path = path;
        this.channel = channel;
        this.size = size;
        buf.limit(0);
    }

    long size() {
        return size;
    }

    long position() {
        return bufStart + buf.position();
    }

    long remaining() {
        return size - position();
    }

    GgufFormatException fail(String problem) {
        return new GgufFormatException(path, problem);
    }

    private GgufFormatException truncated(String what, long needed) {
        return fail("file is truncated: " + what + " at offset " + position() + " needs " + needed + " bytes but only "
                + remaining() + " are left (file size " + size + ")");
    }

    /** Makes at least {@code n} (at most the buffer size) bytes available in the buffer. */
    private void ensure(int n, String what) throws IOException {
        if (buf.remaining() >= n) {
            return;
        }
        if (remaining() < n) {
            throw truncated(what, n);
        }
        long pos = position();
        buf.compact();
        bufStart = pos;
        buf.limit((int) Math.min(buf.capacity(), size - bufStart)); // never read past the size we checked against
        while (buf.position() < n) {
            int r = channel.read(buf, bufStart + buf.position());
            if (r < 0) {
                buf.flip();
                throw truncated(what + " (the file shrank while being read)", n);
            }
        }
        buf.flip();
    }

    int u8(String what) throws IOException {
        ensure(1, what);
        return Byte.toUnsignedInt(buf.get());
    }

    short i16(String what) throws IOException {
        ensure(2, what);
        return buf.getShort();
    }

    int i32(String what) throws IOException {
        ensure(4, what);
        return buf.getInt();
    }

    long u32(String what) throws IOException {
        return Integer.toUnsignedLong(i32(what));
    }

    /** A u64 as raw bits: values of 2^63 and above come back negative. */
    long u64(String what) throws IOException {
        ensure(8, what);
        return buf.getLong();
    }

    float f32(String what) throws IOException {
        ensure(4, what);
        return buf.getFloat();
    }

    double f64(String what) throws IOException {
        ensure(8, what);
        return buf.getDouble();
    }

    /** Reads {@code n} bytes; the caller has checked {@code n} against {@link #remaining()}. */
    byte[] bytes(int n, String what) throws IOException {
        byte[] out = new byte[n];
        readFully(out, 0, n, what);
        return out;
    }

    /** Reads {@code n} bytes into {@code dst[off, off + n)}. */
    private void readFully(byte[] dst, int off, int n, String what) throws IOException {
        if (n <= BUFFER_SIZE) {
            ensure(n, what);
            buf.get(dst, off, n);
            return;
        }
        if (remaining() < n) {
            throw truncated(what, n);
        }
        int have = buf.remaining();
        buf.get(dst, off, have);
        long pos = position();
        ByteBuffer rest = ByteBuffer.wrap(dst, off + have, n - have);
        while (rest.hasRemaining()) {
            if (channel.read(rest, pos + rest.position() - off - have) < 0) {
                throw truncated(what + " (the file shrank while being read)", n);
            }
        }
        bufStart = pos + n - have;
        buf.clear().limit(0);
    }

    /**
     * A GGUF string: u64 byte length, then that many bytes of UTF-8. The length is checked against
     * the bytes left in the file and llama.cpp's {@code GGUF_MAX_STRING_LENGTH} (1 GiB) before
     * anything is allocated; malformed UTF-8 is an error (llama.cpp does not check it, but Java
     * would silently replace the bytes).
     */
    String string(String what) throws IOException {
        int len = stringLength(u64(what + " length"), what);
        byte[] b = bytes(len, what);
        if (!Utf8.isWellFormed(b, 0, len)) {
            throw fail(what + " is not valid UTF-8 (offset " + (position() - len) + ")");
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    private int stringLength(long len, String what) {
        if (len < 0 || len > remaining() || len > GgufReader.MAX_STRING_BYTES) {
            throw fail(what + " has length " + Long.toUnsignedString(len) + " but only " + remaining()
                    + " bytes are left (at offset " + position() + "): the file is truncated or corrupt");
        }
        return (int) len;
    }

    /**
     * The elements of a STRING array, each read and checked as {@link #string} does, packed as they
     * arrive: no {@code String} is made. The caller has checked {@code n} against the bytes left (at
     * least 8 per element), which bounds the bytes to allocate.
     *
     * @param what the array, as in {@code "key 'x'"}; errors name {@code "element i of " + what}
     */
    PackedStrings strings(int n, String what) throws IOException {
        if (n == 0) {
            return PackedStrings.EMPTY;
        }
        long mostBytes = Math.min(remaining() - 8L * n, MAX_ARRAY_BYTES);
        byte[] utf8 = new byte[(int) Math.min(mostBytes, 8L * n)]; // 8: a guess that fits most vocabularies
        int[] offsets = new int[n + 1];
        int end = 0;
        for (int i = 0; i < n; i++) {
            long rawLen = buf.remaining() >= 8 ? buf.getLong() : u64(element(i, what) + " length");
            int len = rawLen >= 0 && rawLen <= buf.remaining() ? (int) rawLen : stringLength(rawLen, element(i, what));
            if (len > utf8.length - end) {
                long needed = (long) end + len;
                if (needed > mostBytes) {
                    throw fail(
                            mostBytes == MAX_ARRAY_BYTES
                                    ? what + " has more than " + MAX_ARRAY_BYTES
                                            + " bytes of strings, more than one Java array holds"
                                    : element(i, what) + " has length " + len
                                            + " but the bytes left cannot hold it and the " + (n - i - 1)
                                            + " elements after it: the file is truncated or corrupt");
                }
                utf8 = Arrays.copyOf(utf8, (int) Math.max(needed, Math.min(2L * utf8.length, mostBytes)));
            }
            if (len <= buf.remaining()) {
                buf.get(utf8, end, len);
            } else {
                readFully(utf8, end, len, element(i, what));
            }
            if (!Utf8.isWellFormed(utf8, end, end + len)) {
                throw fail(element(i, what) + " is not valid UTF-8 (offset " + (position() - len) + ")");
            }
            end += len;
            offsets[i + 1] = end;
        }
        return new PackedStrings(end == utf8.length ? utf8 : Arrays.copyOf(utf8, end), offsets);
    }

    /** Built only for messages, so that reading an element allocates nothing. */
    private static String element(int i, String what) {
        return "element " + i + " of " + what;
    }

    /** Moves to an absolute offset at or after the current one, within the file. */
    void seek(long offset) {
        if (offset < position() || offset > size) {
            throw new IllegalArgumentException("seek to " + offset);
        }
        bufStart = offset;
        buf.clear().limit(0);
    }
}
