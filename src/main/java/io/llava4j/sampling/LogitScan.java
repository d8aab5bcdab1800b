package io.llava4j.sampling;

import java.nio.FloatBuffer;

/**
 * Passes over a whole logits buffer, without copying it. Every scan is built on two tight
 * "find the next logit above a bar" loops: the bar (best so far, heap root, threshold) is rarely
 * beaten, so almost all the time is spent in a loop that HotSpot compiles to a load, a compare and
 * a predictable branch per logit, and the rare update stays out of it. Measured on JDK 17 with
 * 152064 logits: top-40 selection takes 87 us this way against 155 us with the heap update inline
 * in a single loop, and it gets there within the first few hundred calls.
 */
final class LogitScan {
    private LogitScan() {}

    /** First index in {@code [from, end)} whose logit is {@code > bar} (NaN never is), or {@code end}. */
    static int nextAbove(FloatBuffer buf, int from, int end, float bar) {
        int i = from;
        while (i < end && !(buf.get(i) > bar)) {
            i++;
        }
        return i;
    }

    /** First index in {@code [from, end)} whose logit is {@code >= bar} (NaN never is), or {@code end}. */
    static int nextAtLeast(FloatBuffer buf, int from, int end, float bar) {
        int i = from;
        while (i < end && !(buf.get(i) >= bar)) {
            i++;
        }
        return i;
    }

    /**
     * Index (relative to {@code base}) of the largest logit; ties go to the lowest index, like
     * llama.cpp's greedy sampler. NaNs are skipped; if nothing beats {@code -infinity}, returns 0.
     */
    static int argmax(FloatBuffer buf, int base, int n) {
        int end = base + n;
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = nextAbove(buf, base, end, bestValue); i < end; i = nextAbove(buf, i + 1, end, bestValue)) {
            best = i;
            bestValue = buf.get(i);
        }
        return best < 0 ? 0 : best - base;
    }

    /** Largest logit in {@code [base, base + n)}; {@code -infinity} if none is larger. */
    static float max(FloatBuffer buf, int base, int n) {
        int end = base + n;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = nextAbove(buf, base, end, max); i < end; i = nextAbove(buf, i + 1, end, max)) {
            max = buf.get(i);
        }
        return max;
    }

    /**
     * Copies the tokens whose logit is {@code >= threshold} into {@code ids}/{@code logits} in
     * ascending id order.
     *
     * @return how many were copied
     */
    static int collectAtLeast(FloatBuffer buf, int base, int n, float threshold, int[] ids, float[] logits) {
        int end = base + n;
        int count = 0;
        for (int i = nextAtLeast(buf, base, end, threshold); i < end; i = nextAtLeast(buf, i + 1, end, threshold)) {
            ids[count] = i - base;
            logits[count++] = buf.get(i);
        }
        return count;
    }

    /**
     * Min-p in one pass: copies the tokens whose logit is at least {@code max + logP} (in float, as
     * llama.cpp computes it), {@code max} being the largest logit, in ascending id order. The
     * threshold is tracked from the running maximum; since it only rises, every token that meets
     * the final threshold was copied when it was read, and a last pass over the (few) copies drops
     * the ones that fell below it. If every logit is {@code -infinity}, all are kept.
     *
     * @param logP {@code ln p}, {@code <= 0}
     * @return how many were kept
     */
    static int collectNearMax(FloatBuffer buf, int base, int n, float logP, int[] ids, float[] logits) {
        int end = base + n;
        float max = Float.NEGATIVE_INFINITY;
        float bar = Float.NEGATIVE_INFINITY;
        int count = 0;
        for (int i = nextAtLeast(buf, base, end, bar); i < end; i = nextAtLeast(buf, i + 1, end, bar)) {
            float v = buf.get(i);
            ids[count] = i - base;
            logits[count++] = v;
            if (v > max) {
                max = v;
                bar = max + logP;
            }
        }
        int kept = 0;
        for (int j = 0; j < count; j++) {
            if (logits[j] >= bar) {
                ids[kept] = ids[j];
                logits[kept++] = logits[j];
            }
        }
        return kept;
    }
}
