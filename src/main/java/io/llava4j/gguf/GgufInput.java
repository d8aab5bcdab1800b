package io.llava4j.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A bounded, buffered little-endian reader over a file channel for GGUF headers. It knows the file
 * size, so every read is checked against the bytes that are left before anything is allocated, and
 * it reports a short read as a {@link GgufFormatException} naming the file, the offset and what was
 * being read. Not thread-safe; used by one {@link GgufReader#read} call only.
 */
final class GgufInput {
    private static final int BUFFER_SIZE = 1 << 16;

    private final Path path;
    private final FileChannel channel;
    private final long size;
    private final ByteBuffer buf = ByteBuffer.allocate(BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
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
        if (n <= BUFFER_SIZE) {
            ensure(n, what);
            byte[] out = new byte[n];
            buf.get(out);
            return out;
        }
        if (remaining() < n) {
            throw truncated(what, n);
        }
        byte[] out = new byte[n];
        int have = buf.remaining();
        buf.get(out, 0, have);
        long pos = position();
        ByteBuffer dst = ByteBuffer.wrap(out, have, n - have);
        while (dst.hasRemaining()) {
            if (channel.read(dst, pos + dst.position() - have) < 0) {
                throw truncated(what + " (the file shrank while being read)", n);
            }
        }
        bufStart = pos + n - have;
        buf.clear().limit(0);
        return out;
    }

    /**
     * A GGUF string: u64 byte length, then that many bytes of UTF-8. The length is checked against
     * the bytes left in the file and llama.cpp's {@code GGUF_MAX_STRING_LENGTH} (1 GiB) before
     * anything is allocated; malformed UTF-8 is an error (llama.cpp does not check it, but Java
     * would silently replace the bytes).
     */
    String string(String what) throws IOException {
        long len = u64(what + " length");
        if (len < 0 || len > remaining() || len > GgufReader.MAX_STRING_BYTES) {
            throw fail(what + " has length " + Long.toUnsignedString(len) + " but only " + remaining()
                    + " bytes are left (at offset " + position() + "): the file is truncated or corrupt");
        }
        byte[] b = bytes((int) len, what);
        try {
            CharBuffer chars = utf8.reset().decode(ByteBuffer.wrap(b));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw fail(what + " is not valid UTF-8 (offset " + (position() - len) + ")");
        }
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
