package io.llava4j.sampling;

import java.nio.FloatBuffer;

/**
 * The working set that the stages narrow down, playing the part of llama.cpp's
 * {@code llama_token_data_array} without building it for the whole vocabulary.
 *
 * <p>A fresh set is <em>full</em>: every token, with logits read straight from the caller's buffer.
 * The first filtering stage <em>materializes</em> the survivors into {@link #ids}/{@link #logits}
 * (preallocated to the vocabulary size), after which {@link #size} counts them and {@link #sorted}
 * says whether they are in descending logit order (ties by ascending id).
 *
 * <p>Temperature is not applied to the stored logits: {@link TemperatureStage} multiplies
 * {@link #scale}, and the stages that turn logits into probabilities (top-p, min-p, the
 * {@link Draw}) apply it. In llama.cpp's order temperature comes last, so only the draw sees a
 * scale other than 1. Not thread-safe; owned by one {@link SamplerChain}.
 */
final class Candidates {
    /** Number of tokens in the vocabulary. */
    final int vocabSize;
    /** Token ids of the materialized candidates, {@code [0, size)}. */
    final int[] ids;
    /** Logits of the materialized candidates, parallel to {@link #ids}. */
    final float[] logits;
    /** Scratch for unnormalized probabilities, parallel to {@link #ids}. */
    final float[] weights;

    /** The caller's logits while {@link #full}; token {@code i} is at {@code base + i}. */
    FloatBuffer source;

    int base;
    /** True while the set is the whole vocabulary and lives in {@link #source}. */
    boolean full;
    /** Number of materialized candidates (meaningless while {@link #full}). */
    int size;
    /** Whether the materialized candidates are in descending logit order. */
    boolean sorted;
    /** Factor applied to {@code logit - max} before exponentiating: {@code 1 / temperature}. */
    float scale;

    Candidates(int vocabSize) {
        this.vocabSize = vocabSize;
        this.ids = new int[vocabSize];
        this.logits = new float[vocabSize];
        this.weights = new float[vocabSize];
    }

    /** Starts a new token: the whole vocabulary of {@code src}, unscaled. */
    void load(FloatBuffer src, int base) {
        this.source = src;
        this.base = base;
        this.full = true;
        this.size = vocabSize;
        this.sorted = false;
        this.scale = 1f;
    }

    /**
     * Replaces the full set by the tokens whose logit is at least {@code threshold}, in ascending
     * id order. At least the maximum (when it is {@code >= threshold}) survives.
     */
    void materializeAtLeast(float threshold) {
        size = LogitScan.collectAtLeast(source, base, vocabSize, threshold, ids, logits);
        full = false;
        sorted = false;
    }

    /** Maximum logit of the current set ({@code -infinity} if it is empty or all NaN). */
    float maxLogit() {
        if (full) {
            return LogitScan.max(source, base, vocabSize);
        }
        if (sorted && size > 0) {
            return logits[0];
        }
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < size; i++) {
            float v = logits[i];
            if (v > m) {
                m = v;
            }
        }
        return m;
    }

    /** Sorts the materialized candidates if they are not sorted yet. */
    void sort() {
        if (!sorted) {
            CandidateSort.sortDescending(ids, logits, 0, size);
            sorted = true;
        }
    }
}
