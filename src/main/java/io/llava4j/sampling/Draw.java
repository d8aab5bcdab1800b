package io.llava4j.sampling;

import java.nio.FloatBuffer;
import java.util.random.RandomGenerator;

/**
 * The last step of a {@link SamplerChain}: draws one token from the softmax of the scaled
 * candidates (llama.cpp {@code llama_sampler_dist}). Weights are {@code exp((logit - max) * scale)}
 * with {@link FastExp}; the normaliser is summed in double; one {@code rng.nextDouble()} {@code u}
 * per call picks the first candidate at which the running sum reaches {@code u * total}, in the
 * candidates' current order. Weights below {@link FastExp#NEGLIGIBLE} count as zero.
 *
 * <p>On the full vocabulary (no filter ran) the weights are not stored: one pass sums them per block
 * of {@value #BLOCK} tokens, the draw finds the block, and only that block is recomputed.
 */
final class Draw {
    static final int BLOCK = 256;

    private final double[] blockSums;

    /** @param vocabSize size of the vocabulary the candidate sets come from */
    Draw(int vocabSize) {
        this.blockSums = new double[(vocabSize + BLOCK - 1) / BLOCK];
    }

    /**
     * Draws a token id from {@code c}. Consumes exactly one {@code nextDouble()} from {@code rng},
     * even when only one candidate is left, so that the random sequence does not depend on the
     * filters. If no candidate has a finite logit (so neither has the vocabulary), returns token 0.
     */
    int draw(Candidates c, RandomGenerator rng) {
        double u = rng.nextDouble();
        float max = c.maxLogit();
        if (max == Float.NEGATIVE_INFINITY) {
            return 0; // no finite logit anywhere: the filters always keep the maximum
        }
        if (c.full) {
            return drawFull(c.source, c.base, c.vocabSize, max, c.scale, u);
        }
        if (c.size == 1) {
            return c.ids[0];
        }
        float[] w = c.weights;
        float scale = c.scale;
        double total = 0;
        for (int i = 0; i < c.size; i++) {
            float d = (c.logits[i] - max) * scale;
            float e = d >= FastExp.NEGLIGIBLE ? FastExp.exp(d) : 0f;
            w[i] = e;
            total += e;
        }
        double target = u * total;
        double running = 0;
        int lastPositive = 0;
        for (int i = 0; i < c.size; i++) {
            if (w[i] > 0) {
                running += w[i];
                lastPositive = i;
                if (running >= target) {
                    return c.ids[i];
                }
            }
        }
        return c.ids[lastPositive]; // only reachable through rounding of the two sums
    }

    private int drawFull(FloatBuffer buf, int base, int n, float max, float scale, double u) {
        int blocks = blockSums.length;
        double total = 0;
        for (int b = 0; b < blocks; b++) {
            int from = base + b * BLOCK;
            int to = Math.min(from + BLOCK, base + n);
            double sum = 0;
            for (int i = from; i < to; i++) {
                float d = (buf.get(i) - max) * scale;
                if (d >= FastExp.NEGLIGIBLE) {
                    sum += FastExp.exp(d);
                }
            }
            blockSums[b] = sum;
            total += sum;
        }
        double target = u * total;
        double running = 0;
        int lastPositive = -1;
        for (int b = 0; b < blocks; b++) {
            if (blockSums[b] == 0) {
                continue;
            }
            if (running + blockSums[b] < target) {
                running += blockSums[b];
                continue;
            }
            int from = base + b * BLOCK;
            int to = Math.min(from + BLOCK, base + n);
            for (int i = from; i < to; i++) {
                float d = (buf.get(i) - max) * scale;
                if (d >= FastExp.NEGLIGIBLE) {
                    running += FastExp.exp(d);
                    lastPositive = i;
                    if (running >= target) {
                        return i - base;
                    }
                }
            }
        }
        // Only reachable through rounding of the block sums against the element sums: take the
        // last token with positive weight, or the argmax if the scan never got that far.
        return lastPositive >= 0 ? lastPositive - base : LogitScan.argmax(buf, base, n);
    }
}
