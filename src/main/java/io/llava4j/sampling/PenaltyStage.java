package io.llava4j.sampling;

import java.nio.FloatBuffer;

/**
 * Repetition, frequency and presence penalties over the last {@code window} accepted tokens
 * (llama.cpp {@code llama_sampler_penalties}). For every distinct token with {@code count}
 * occurrences in the window, in float arithmetic:
 * <pre>
 *   logit = logit &lt;= 0 ? logit * repeat : logit / repeat;
 *   logit -= count * frequency + presence;
 * </pre>
 *
 * <p>The stage touches only the penalised tokens: it rewrites their logits in the caller's buffer
 * (O(window), never a pass over the vocabulary), remembers the originals and puts them back in
 * {@link #restore}. The history is a ring of the last {@code window} tokens plus per-token counts
 * and a list of the distinct tokens present, all preallocated; {@link #accept} is O(1).
 * Not thread-safe.
 */
final class PenaltyStage {
    private final float repeat;
    private final float frequency;
    private final float presence;

    private final int[] ring;
    private int ringStart;
    private int ringSize;

    private final int[] counts;
    /** Tokens with a non-zero count, in no particular order; {@link #slot} maps a token to its index. */
    private final int[] distinct;

    private final int[] slot;
    private int distinctCount;

    private final int[] savedIds;
    private final float[] savedLogits;
    private int savedCount;

    /**
     * @param window number of recent tokens to look at, {@code > 0}
     * @param repeat repetition penalty, {@code > 0}
     * @param frequency frequency penalty
     * @param presence presence penalty
     * @param vocabSize vocabulary size, {@code > 0}
     */
    PenaltyStage(int window, float repeat, float frequency, float presence, int vocabSize) {
        if (window <= 0 || !(repeat > 0) || vocabSize <= 0) {
            throw new IllegalArgumentException("window, repeat and vocabSize must be > 0");
        }
        this.repeat = repeat;
        this.frequency = frequency;
        this.presence = presence;
        this.ring = new int[window];
        this.counts = new int[vocabSize];
        this.slot = new int[vocabSize];
        int distinctCapacity = Math.min(window, vocabSize);
        this.distinct = new int[distinctCapacity];
        this.savedIds = new int[distinctCapacity];
        this.savedLogits = new float[distinctCapacity];
    }

    /** Adds {@code token} to the window, evicting the oldest token once the window is full. */
    void accept(int token) {
        if (ringSize == ring.length) {
            remove(ring[ringStart]);
            ring[ringStart] = token;
            ringStart = (ringStart + 1) % ring.length;
        } else {
            ring[(ringStart + ringSize) % ring.length] = token;
            ringSize++;
        }
        if (counts[token]++ == 0) {
            slot[token] = distinctCount;
            distinct[distinctCount++] = token;
        }
    }

    private void remove(int token) {
        if (--counts[token] == 0) {
            int at = slot[token];
            int moved = distinct[--distinctCount];
            distinct[at] = moved;
            slot[moved] = at;
        }
    }

    /** Empties the window. */
    void reset() {
        for (int i = 0; i < distinctCount; i++) {
            counts[distinct[i]] = 0;
        }
        distinctCount = 0;
        ringStart = 0;
        ringSize = 0;
        savedCount = 0;
    }

    /** Number of distinct tokens in the window. */
    int distinctCount() {
        return distinctCount;
    }

    /** How often {@code token} occurs in the window. */
    int count(int token) {
        return counts[token];
    }

    /**
     * Penalises the logits in {@code buf} (token {@code i} at {@code base + i}) in place and
     * remembers the originals. Must be followed by {@link #restore} before the next call.
     */
    void apply(FloatBuffer buf, int base) {
        for (int j = 0; j < distinctCount; j++) {
            int token = distinct[j];
            int index = base + token;
            float logit = buf.get(index);
            savedIds[j] = token;
            savedLogits[j] = logit;
            int count = counts[token];
            logit = logit <= 0 ? logit * repeat : logit / repeat;
            logit -= count * frequency + presence;
            buf.put(index, logit);
        }
        savedCount = distinctCount;
    }

    /** Writes back the logits that {@link #apply} changed. */
    void restore(FloatBuffer buf, int base) {
        for (int j = 0; j < savedCount; j++) {
            buf.put(base + savedIds[j], savedLogits[j]);
        }
        savedCount = 0;
    }
}
