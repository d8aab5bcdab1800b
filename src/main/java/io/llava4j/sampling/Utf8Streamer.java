package io.llava4j.sampling;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Turns the raw bytes of token pieces into text, emitting only complete UTF-8 characters. A
 * byte-level tokenizer may split one character (an accented letter, a CJK character, an emoji)
 * across tokens; the bytes of an unfinished character are held back until the token that completes
 * it arrives.
 *
 * <p>Bytes that cannot become valid UTF-8 are not held: they are decoded at once, each malformed
 * run becoming U+FFFD as Java's UTF-8 decoder does. At the end of generation {@link #flush()}
 * decodes whatever is still held (an unfinished character becomes one U+FFFD).
 *
 * <p>No empty string is ever emitted. The only allocation per call is the emitted {@code String};
 * the internal buffer grows to the longest piece seen and is reused. Not thread-safe.
 */
public final class Utf8Streamer {
    private final Consumer<String> listener;
    /** Held bytes (at most 3, an unfinished character) at the front, then room for a new piece. */
    private byte[] work = new byte[64];

    private int pending;

    /**
     * @param listener receives each complete, non-empty text piece, in order, on the calling thread
     */
    public Utf8Streamer(Consumer<String> listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Same as {@code accept(bytes, 0, bytes.length)}. */
    public void accept(byte[] bytes) {
        accept(bytes, 0, bytes.length);
    }

    /**
     * Adds the bytes of one token piece and emits the text that is complete so far.
     *
     * @param bytes the bytes; not retained
     * @param offset first byte to read
     * @param length number of bytes to read, may be 0
     * @throws IndexOutOfBoundsException if the range is not inside {@code bytes}
     */
    public void accept(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        if (pending == 0) {
            // Common case: decode straight from the caller's array and keep only the tail.
            int end = offset + length;
            int cut = incompleteTailStart(bytes, offset, end);
            emit(bytes, offset, cut - offset);
            hold(bytes, cut, end - cut);
            return;
        }
        int total = pending + length;
        if (work.length < total) {
            work = Arrays.copyOf(work, Math.max(total, 2 * work.length));
        }
        System.arraycopy(bytes, offset, work, pending, length);
        int cut = incompleteTailStart(work, 0, total);
        emit(work, 0, cut);
        System.arraycopy(work, cut, work, 0, total - cut);
        pending = total - cut;
    }

    /** Emits the held bytes (as U+FFFD, since they are an unfinished character) and clears them. */
    public void flush() {
        if (pending > 0) {
            emit(work, 0, pending);
            pending = 0;
        }
    }

    /** Drops the held bytes without emitting them. */
    public void reset() {
        pending = 0;
    }

    /** Number of bytes held back, waiting for the rest of a character (0 to 3). */
    public int pendingBytes() {
        return pending;
    }

    private void hold(byte[] bytes, int from, int count) {
        System.arraycopy(bytes, from, work, 0, count);
        pending = count;
    }

    private void emit(byte[] bytes, int from, int count) {
        if (count > 0) {
            listener.accept(new String(bytes, from, count, StandardCharsets.UTF_8));
        }
    }

    /**
     * Start of a trailing unfinished-but-valid character in {@code b[from, to)}, or {@code to} if
     * the range ends on a character boundary (or in bytes that can never become valid).
     */
    static int incompleteTailStart(byte[] b, int from, int to) {
        for (int i = to - 1; i >= Math.max(from, to - 3); i--) {
            int x = b[i] & 0xFF;
            if ((x & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for its lead byte
            }
            int need = sequenceLength(x);
            return need > to - i && validPrefix(b, i, to) ? i : to;
        }
        return to;
    }

    /** Length of the sequence a lead byte starts; 1 for ASCII and for bytes that cannot lead. */
    private static int sequenceLength(int lead) {
        if (lead >= 0xC2 && lead <= 0xDF) {
            return 2;
        }
        if (lead >= 0xE0 && lead <= 0xEF) {
            return 3;
        }
        if (lead >= 0xF0 && lead <= 0xF4) {
            return 4;
        }
        return 1;
    }

    /**
     * Whether the continuation bytes after the lead at {@code i} can still complete a valid
     * character (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
     */
    private static boolean validPrefix(byte[] b, int i, int to) {
        if (i + 1 >= to) {
            return true;
        }
        int lead = b[i] & 0xFF;
        int second = b[i + 1] & 0xFF;
        int low = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
        int high = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
        return second >= low && second <= high; // later bytes were checked to be continuations
    }
}
