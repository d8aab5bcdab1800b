package io.llava4j.sampling;

import io.llava4j.Llava4jException;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Watches streamed text for stop strings that may be split across tokens, and forwards only text
 * that can no longer be part of one.
 *
 * <p>Text that could be the beginning of a stop string (the longest suffix of the stream that is a
 * proper prefix of some stop string) is held back. When a stop string completes, the text before
 * it is emitted, the stop string and anything after it are dropped, and the detector is stopped.
 * If several stop strings complete in the same text, the one that ends first wins (ties: the one
 * that starts first), which is what token-by-token streaming would have found.
 *
 * <p>Typical wiring: {@code new Utf8Streamer(detector::offer)} in front, the user's listener
 * behind; at the end of generation without a stop, {@link #flush()} releases the held text.
 * Allocation per call is the emitted {@code String}; the hold-back buffer is reused. Not
 * thread-safe.
 */
public final class StopDetector {
    private final String[] stops;
    private final Consumer<String> listener;
    private final StringBuilder held = new StringBuilder();
    private String matched;

    /**
     * @param stopStrings the stop strings (none is fine: everything passes through); copied
     * @param listener receives each piece of text that is safe to show, non-empty, in order
     * @throws Llava4jException {@link Llava4jException.Code#INVALID_ARGUMENT} if a stop string is
     *     empty
     * @throws NullPointerException if an argument or a stop string is null
     */
    public StopDetector(List<String> stopStrings, Consumer<String> listener) {
        this.stops = stopStrings.toArray(new String[0]);
        for (String s : stops) {
            if (Objects.requireNonNull(s, "stop string").isEmpty()) {
                throw new Llava4jException(
                        Llava4jException.Code.INVALID_ARGUMENT, "stop strings must not be empty, got " + stopStrings);
            }
        }
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Adds generated text and forwards what is safe.
     *
     * @param text the next piece of text (may be empty)
     * @return true if a stop string has completed, now or earlier; further text is then ignored
     */
    public boolean offer(CharSequence text) {
        if (matched != null) {
            return true;
        }
        held.append(text);
        int bestStart = -1;
        int bestEnd = Integer.MAX_VALUE;
        for (String s : stops) {
            int start = held.indexOf(s);
            int end = start + s.length();
            if (start >= 0 && (end < bestEnd || (end == bestEnd && start < bestStart))) {
                bestStart = start;
                bestEnd = end;
                matched = s;
            }
        }
        if (matched != null) {
            emit(bestStart);
            held.setLength(0);
            return true;
        }
        emit(held.length() - heldBackLength());
        return false;
    }

    /** Forwards the held-back text (generation ended without a stop string) and clears it. */
    public void flush() {
        emit(held.length());
    }

    /** Whether a stop string has completed. */
    public boolean stopped() {
        return matched != null;
    }

    /** The stop string that completed, or null while none has. */
    public String matchedStop() {
        return matched;
    }

    /** Number of characters currently held back because they may start a stop string. */
    public int heldBackLength() {
        int keep = 0;
        int n = held.length();
        for (String s : stops) {
            for (int k = Math.min(n, s.length() - 1); k > keep; k--) {
                if (endsWithPrefix(s, k)) {
                    keep = k;
                    break;
                }
            }
        }
        return keep;
    }

    /** Clears the held text and the stopped state, for a new generation. */
    public void reset() {
        held.setLength(0);
        matched = null;
    }

    /** Whether the held text ends with the first {@code k} characters of {@code s}. */
    private boolean endsWithPrefix(String s, int k) {
        int offset = held.length() - k;
        for (int i = 0; i < k; i++) {
            if (held.charAt(offset + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Forwards the first {@code count} held characters and removes them. */
    private void emit(int count) {
        if (count > 0) {
            listener.accept(held.substring(0, count));
            held.delete(0, count);
        }
    }
}
