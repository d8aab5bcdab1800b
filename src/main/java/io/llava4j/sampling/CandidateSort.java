package io.llava4j.sampling;

/**
 * In-place sort of parallel id/logit arrays into descending logit order, ties by ascending id, so
 * that every stage sees one deterministic order. Quicksort with median-of-three pivots and an
 * insertion sort for short ranges; recursion only into the smaller side, so the stack stays
 * {@code O(log n)}. Allocates nothing.
 */
final class CandidateSort {
    private static final int INSERTION_LIMIT = 24;

    private CandidateSort() {}

    /** Sorts {@code [from, to)} of both arrays by (logit descending, id ascending). */
    static void sortDescending(int[] ids, float[] logits, int from, int to) {
        while (to - from > INSERTION_LIMIT) {
            int mid = (from + to) >>> 1;
            int last = to - 1;
            // Median of three moved to `from`, used as the pivot.
            if (before(ids, logits, mid, from)) {
                swap(ids, logits, mid, from);
            }
            if (before(ids, logits, last, from)) {
                swap(ids, logits, last, from);
            }
            if (before(ids, logits, last, mid)) {
                swap(ids, logits, last, mid);
            }
            swap(ids, logits, from, mid);
            int split = partition(ids, logits, from, to);
            if (split - from < to - split - 1) {
                sortDescending(ids, logits, from, split);
                from = split + 1;
            } else {
                sortDescending(ids, logits, split + 1, to);
                to = split;
            }
        }
        insertionSort(ids, logits, from, to);
    }

    /** Hoare-style partition around the element at {@code from}; returns its final index. */
    private static int partition(int[] ids, float[] logits, int from, int to) {
        int pivotId = ids[from];
        float pivot = logits[from];
        int i = from;
        int j = to;
        while (true) {
            do {
                i++;
            } while (i < to && before(ids[i], logits[i], pivotId, pivot));
            do {
                j--;
            } while (j > from && before(pivotId, pivot, ids[j], logits[j]));
            if (i >= j) {
                break;
            }
            swap(ids, logits, i, j);
        }
        swap(ids, logits, from, j);
        return j;
    }

    private static void insertionSort(int[] ids, float[] logits, int from, int to) {
        for (int i = from + 1; i < to; i++) {
            int id = ids[i];
            float v = logits[i];
            int j = i - 1;
            while (j >= from && before(id, v, ids[j], logits[j])) {
                ids[j + 1] = ids[j];
                logits[j + 1] = logits[j];
                j--;
            }
            ids[j + 1] = id;
            logits[j + 1] = v;
        }
    }

    /** Whether candidate a comes before candidate b: larger logit, or equal logit and lower id. */
    static boolean before(int idA, float a, int idB, float b) {
        return a > b || (a == b && idA < idB);
    }

    private static boolean before(int[] ids, float[] logits, int a, int b) {
        return before(ids[a], logits[a], ids[b], logits[b]);
    }

    private static void swap(int[] ids, float[] logits, int a, int b) {
        int id = ids[a];
        ids[a] = ids[b];
        ids[b] = id;
        float v = logits[a];
        logits[a] = logits[b];
        logits[b] = v;
    }
}
