package io.llava4j.sampling;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Top-p (nucleus) filter (llama.cpp {@code llama_sampler_top_p} with {@code min_keep = 1}): keeps
 * the smallest prefix of the candidates, in descending probability, whose probabilities sum to at
 * least {@code p}. Probabilities are the softmax over the current set; the most likely token always
 * survives. If rounding keeps the sum below {@code p}, every candidate survives.
 *
 * <p>After top-k the set is small and sorted, and this is a short loop. On the full vocabulary it
 * needs the softmax normaliser of every token, but sorts almost nothing: one pass computes the
 * maximum, a second one the normaliser together with a histogram of probability mass by distance
 * from the maximum ({@value #BUCKETS_PER_LOGIT} buckets per logit). Every token in the buckets
 * before the one where the running mass reaches {@code p} is in the nucleus; only the tokens of
 * that boundary bucket are sorted to find the exact cut. The result is then not sorted. Terms below
 * {@link FastExp#NEGLIGIBLE} are left out of the normaliser.
 */
final class TopPStage implements SamplerStage {
    private static final int BUCKETS_PER_LOGIT = 32;
    private static final int BUCKETS = (int) (-FastExp.NEGLIGIBLE * BUCKETS_PER_LOGIT) + 1;

    private final float p;
    private final double[] mass = new double[BUCKETS];

    /** @param p in {@code [0, 1)}; 1 would be a no-op and is not built */
    TopPStage(float p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("top-p must be in [0, 1): " + p);
        }
        this.p = p;
    }

    @Override
    public void apply(Candidates c) {
        float max = c.maxLogit();
        if (max == Float.NEGATIVE_INFINITY) {
            return;
        }
        if (!c.full) {
            c.sort();
            double total = 0;
            for (int i = 0; i < c.size; i++) {
                total += weight(c.logits[i], max, c.scale);
            }
            cut(c, 0, 0, max, p * total);
            return;
        }
        double target = p * histogram(c.source, c.base, c.vocabSize, max, c.scale);
        double before = 0;
        int boundary = BUCKETS - 1;
        for (int b = 0; b < BUCKETS; b++) {
            if (before + mass[b] >= target) {
                boundary = b;
                break;
            }
            before += mass[b];
        }
        int inside = collect(c, max, boundary);
        CandidateSort.sortDescending(c.ids, c.logits, inside, c.size);
        cut(c, inside, before, max, target);
        c.sorted = inside == 0;
    }

    /** Fills {@link #mass} and returns the normaliser (sum of all non-negligible weights). */
    private double histogram(FloatBuffer buf, int base, int n, float max, float scale) {
        Arrays.fill(mass, 0);
        double total = 0;
        int end = base + n;
        for (int i = base; i < end; i++) {
            float d = (buf.get(i) - max) * scale;
            if (d >= FastExp.NEGLIGIBLE) {
                float e = FastExp.exp(d);
                total += e;
                mass[bucket(d)] += e;
            }
        }
        return total;
    }

    /**
     * Materializes the tokens of buckets {@code < boundary} (in id order) followed by those of the
     * boundary bucket, in one pass: the boundary tokens are parked at the far end of the arrays and
     * moved next to the others afterwards.
     *
     * @return how many come before the boundary bucket's tokens
     */
    private static int collect(Candidates c, float max, int boundary) {
        FloatBuffer buf = c.source;
        int[] ids = c.ids;
        float[] logits = c.logits;
        int head = 0;
        int tail = c.vocabSize;
        for (int i = 0; i < c.vocabSize; i++) {
            float v = buf.get(c.base + i);
            float d = (v - max) * c.scale;
            if (d >= FastExp.NEGLIGIBLE) {
                int b = bucket(d);
                if (b < boundary) {
                    ids[head] = i;
                    logits[head++] = v;
                } else if (b == boundary) {
                    ids[--tail] = i;
                    logits[tail] = v;
                }
            }
        }
        int parked = c.vocabSize - tail;
        System.arraycopy(ids, tail, ids, head, parked);
        System.arraycopy(logits, tail, logits, head, parked);
        c.size = head + parked;
        c.full = false;
        return head;
    }

    /**
     * Keeps {@code [0, from)} and the shortest prefix of the sorted {@code [from, size)} at which
     * the running weight, starting at {@code running}, reaches {@code target}.
     */
    private static void cut(Candidates c, int from, double running, float max, double target) {
        for (int i = from; i < c.size; i++) {
            running += weight(c.logits[i], max, c.scale);
            if (running >= target) {
                c.size = i + 1;
                return;
            }
        }
    }

    private static int bucket(float d) {
        return (int) (-d * BUCKETS_PER_LOGIT);
    }

    private static float weight(float logit, float max, float scale) {
        float d = (logit - max) * scale;
        return d >= FastExp.NEGLIGIBLE ? FastExp.exp(d) : 0f;
    }
}
