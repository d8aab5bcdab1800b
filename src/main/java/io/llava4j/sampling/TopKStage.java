package io.llava4j.sampling;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Top-k filter (llama.cpp {@code llama_sampler_top_k}): keeps the {@code k} highest logits, ties
 * at the boundary going to the lower ids. NaN logits rank as {@code -infinity}.
 *
 * <p>On the full vocabulary it never sorts the vocabulary. For {@code k <= }{@value #HEAP_LIMIT}
 * one pass keeps a bounded min-heap of the best {@code k} seen so far in the preallocated candidate
 * arrays: each logit costs one comparison with the heap's root, and only the rare improvements
 * (about {@code k ln(n/k)} for shuffled input) pay {@code O(log k)}; the survivors are then
 * heap-sorted. For larger {@code k}, where the heap's work grows, a radix selection takes over: one
 * pass counts the logits per bucket of their order-preserving bit pattern ({@value #RADIX_BITS}
 * top bits), a second pass collects the buckets above the one holding the {@code k}-th logit, and
 * only that boundary bucket is sorted to take the rest. Its output is then not sorted.
 */
final class TopKStage implements SamplerStage {
    /** Largest k selected with the heap (llama.cpp also switches strategy above 128). */
    static final int HEAP_LIMIT = 128;

    static final int RADIX_BITS = 13;

    private final int k;
    private final int[] histogram;

    /** @param k {@code > 0} */
    TopKStage(int k) {
        if (k <= 0) {
            throw new IllegalArgumentException("top-k must be > 0: " + k);
        }
        this.k = k;
        this.histogram = k > HEAP_LIMIT ? new int[1 << RADIX_BITS] : null;
    }

    @Override
    public void apply(Candidates c) {
        if (!c.full) {
            if (c.size > k) {
                c.sort();
                c.size = k;
            }
            return;
        }
        int n = c.vocabSize;
        if (k >= n) {
            return; // keeps everything; later stages work on the full set
        }
        if (histogram == null) {
            select(c.source, c.base, n, k, c.ids, c.logits);
            heapSort(c.ids, c.logits, k);
            c.sorted = true;
        } else {
            c.sorted = radixSelect(c) == 0;
        }
        c.full = false;
        c.size = k;
    }

    /**
     * Leaves the best {@code k} in {@code ids/logits[0, k)}: those above the boundary bucket in id
     * order, then the best of the boundary bucket, sorted.
     *
     * @return how many tokens lie above the boundary bucket
     */
    private int radixSelect(Candidates c) {
        FloatBuffer buf = c.source;
        int n = c.vocabSize;
        int end = c.base + n;
        int[] hist = histogram;
        Arrays.fill(hist, 0);
        for (int i = c.base; i < end; i++) {
            hist[radix(buf.get(i))]++;
        }
        int boundary = hist.length - 1;
        int above = 0;
        while (above + hist[boundary] < k) {
            above += hist[boundary--];
        }
        int[] ids = c.ids;
        float[] logits = c.logits;
        int head = 0;
        int tail = n;
        for (int i = c.base; i < end; i++) {
            float v = buf.get(i);
            int r = radix(v);
            if (r > boundary) {
                ids[head] = i - c.base;
                logits[head++] = v;
            } else if (r == boundary) {
                ids[--tail] = i - c.base;
                logits[tail] = orNegativeInfinity(v);
            }
        }
        int parked = n - tail;
        System.arraycopy(ids, tail, ids, head, parked);
        System.arraycopy(logits, tail, logits, head, parked);
        CandidateSort.sortDescending(ids, logits, head, head + parked);
        return head;
    }

    /**
     * Top {@value #RADIX_BITS} bits of an order-preserving unsigned key of {@code v}: larger floats
     * get larger buckets. -0 is folded into +0 (they compare equal) and NaN into bucket 0.
     */
    private static int radix(float v) {
        int bits = Float.floatToRawIntBits(v + 0f);
        int key = bits ^ ((bits >> 31) | Integer.MIN_VALUE);
        return v == v ? key >>> (32 - RADIX_BITS) : 0;
    }

    /** Leaves the best {@code k} of {@code n} in {@code ids/logits[0, k)} as a min-heap (worst at the root). */
    static void select(FloatBuffer buf, int base, int n, int k, int[] ids, float[] logits) {
        for (int i = 0; i < k; i++) {
            ids[i] = i;
            logits[i] = orNegativeInfinity(buf.get(base + i));
        }
        for (int i = (k >>> 1) - 1; i >= 0; i--) {
            siftDown(ids, logits, i, k);
        }
        float root = logits[0];
        int end = base + n;
        // Strictly greater: a later (higher) id with an equal logit ranks lower and stays out.
        for (int i = LogitScan.nextAbove(buf, base + k, end, root);
                i < end;
                i = LogitScan.nextAbove(buf, i + 1, end, root)) {
            ids[0] = i - base;
            logits[0] = buf.get(i);
            siftDown(ids, logits, 0, k);
            root = logits[0];
        }
    }

    /** NaN becomes -infinity in the candidate set, so that sorting and the softmax stay well defined. */
    private static float orNegativeInfinity(float v) {
        return v == v ? v : Float.NEGATIVE_INFINITY;
    }

    /** Turns the min-heap {@code [0, k)} into descending order (best first). */
    static void heapSort(int[] ids, float[] logits, int k) {
        for (int last = k - 1; last > 0; last--) {
            int id = ids[0];
            float v = logits[0];
            ids[0] = ids[last];
            logits[0] = logits[last];
            ids[last] = id;
            logits[last] = v;
            siftDown(ids, logits, 0, last);
        }
    }

    /** Restores the heap property below {@code i}; "smaller" means ranked lower (worse). */
    private static void siftDown(int[] ids, float[] logits, int i, int size) {
        int id = ids[i];
        float v = logits[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            int right = child + 1;
            if (right < size && worse(ids[right], logits[right], ids[child], logits[child])) {
                child = right;
            }
            if (!worse(ids[child], logits[child], id, v)) {
                break;
            }
            ids[i] = ids[child];
            logits[i] = logits[child];
            i = child;
        }
        ids[i] = id;
        logits[i] = v;
    }

    private static boolean worse(int idA, float a, int idB, float b) {
        return CandidateSort.before(idB, b, idA, a);
    }
}
