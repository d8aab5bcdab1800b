package io.llava4j.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * A buffered little-endian writer over a channel that counts the bytes written, so that the writer
 * can pad to the alignment exactly like {@code gguf_writer_base::pad} in {@code ggml/src/gguf.cpp}.
 * Not thread-safe.
 */
final class GgufOutput {
    private static final int BUFFER_SIZE = 1 << 20;

    private final WritableByteChannel channel;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private long written;

    GgufOutput(WritableByteChannel channel) {
        this.channel = channel;
    }

    /** Bytes written so far (buffered or not). */
    long position() {
        return written + buf.position();
    }

    private void room(int n) throws IOException {
        if (buf.remaining() < n) {
            flush();
        }
    }

    void u8(int v) throws IOException {
        room(1);
        buf.put((byte) v);
    }

    void i16(short v) throws IOException {
        room(2);
        buf.putShort(v);
    }

    void i32(int v) throws IOException {
        room(4);
        buf.putInt(v);
    }

    void i64(long v) throws IOException {
        room(8);
        buf.putLong(v);
    }

    void f32(float v) throws IOException {
        i32(Float.floatToRawIntBits(v));
    }

    void bytes(byte[] b) throws IOException {
        bytes(ByteBuffer.wrap(b));
    }

    /** Writes the remaining bytes of {@code b}, consuming them. */
    void bytes(ByteBuffer b) throws IOException {
        if (b.remaining() <= buf.remaining()) {
            buf.put(b);
            return;
        }
        flush();
        if (b.remaining() < BUFFER_SIZE) {
            buf.put(b);
            return;
        }
        long n = b.remaining();
        while (b.hasRemaining()) {
            channel.write(b);
        }
        written += n;
    }

    /** A GGUF string: u64 length + UTF-8 bytes. */
    void string(String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        string(b, 0, b.length);
    }

    /** A GGUF string already encoded: {@code utf8[off, off + len)}. */
    void string(byte[] utf8, int off, int len) throws IOException {
        i64(len);
        if (len <= buf.remaining()) {
            buf.put(utf8, off, len);
        } else {
            bytes(ByteBuffer.wrap(utf8, off, len));
        }
    }

    /** Writes zero bytes up to the next multiple of {@code alignment}. */
    void pad(int alignment) throws IOException {
        long target = GgufFile.alignUp(position(), alignment);
        while (position() < target) {
            u8(0);
        }
    }

    void flush() throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            written += channel.write(buf);
        }
        buf.clear();
    }
}
