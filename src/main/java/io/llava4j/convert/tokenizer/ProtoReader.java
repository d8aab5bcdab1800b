package io.llava4j.convert.tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A minimal reader of the protocol buffers wire format (varints, fixed 32/64-bit values and
 * length-delimited fields; see protobuf.dev "Encoding"), enough to read SentencePiece's
 * {@code ModelProto} without a generated class or the protobuf runtime. Every read is bounds
 * checked; malformed input throws {@link ProtoException}.
 */
final class ProtoReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    /** Malformed protobuf data. */
    static final class ProtoException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ProtoException(String message) {
            super(message);
        }
    }

    private final byte[] buf;
    private int pos;
    private final int end;

    ProtoReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    private ProtoReader(byte[] buf, int start, int end) {
        this.buf = buf;
        this.pos = start;
        this.end = end;
    }

    boolean hasMore() {
        return pos < end;
    }

    /** Reads a field key; returns {@code fieldNumber << 3 | wireType}. */
    int readTag() {
        long tag = readVarint();
        if (tag <= 0 || tag > Integer.MAX_VALUE || (tag >>> 3) == 0) {
            throw new ProtoException("invalid field tag " + tag + " at byte " + pos);
        }
        return (int) tag;
    }

    long readVarint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw new ProtoException("truncated varint");
            }
            byte b = buf[pos++];
            result |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new ProtoException("varint longer than 10 bytes");
    }

    float readFloat() {
        need(4);
        int bits = (buf[pos] & 0xff)
                | (buf[pos + 1] & 0xff) << 8
                | (buf[pos + 2] & 0xff) << 16
                | (buf[pos + 3] & 0xff) << 24;
        pos += 4;
        return Float.intBitsToFloat(bits);
    }

    /** A length-delimited field's contents as a sub-reader (the bytes are not copied). */
    ProtoReader readMessage() {
        int len = length();
        ProtoReader sub = new ProtoReader(buf, pos, pos + len);
        pos += len;
        return sub;
    }

    /** A length-delimited field as strict UTF-8. */
    String readString() {
        int len = length();
        try {
            String s = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(buf, pos, len))
                    .toString();
            pos += len;
            return s;
        } catch (CharacterCodingException e) {
            throw new ProtoException("string field at byte " + pos + " is not valid UTF-8");
        }
    }

    /** Skips a field of the given wire type. */
    void skip(int wireType) {
        switch (wireType) {
            case VARINT -> readVarint();
            case FIXED64 -> {
                need(8);
                pos += 8;
            }
            case LENGTH_DELIMITED -> {
                int len = length();
                pos += len;
            }
            case FIXED32 -> {
                need(4);
                pos += 4;
            }
            default -> throw new ProtoException("unsupported wire type " + wireType + " (groups are not used here)");
        }
    }

    private int length() {
        long len = readVarint();
        if (len < 0 || len > end - pos) {
            throw new ProtoException("length " + len + " at byte " + pos + " runs past the end of the data");
        }
        return (int) len;
    }

    private void need(int n) {
        if (end - pos < n) {
            throw new ProtoException("truncated fixed-size field");
        }
    }
}
