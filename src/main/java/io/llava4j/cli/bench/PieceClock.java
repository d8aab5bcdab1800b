package io.llava4j.cli.bench;

/**
 * When each streamed piece of one answer arrived ({@link System#nanoTime()}), up to a capacity
 * fixed in advance (no allocation per piece; pieces past it are counted, not timed).
 */
final class PieceClock {
    private final long[] times;
    private int count;

    PieceClock(int capacity) {
        this.times = new long[Math.max(1, capacity)];
    }

    /** Notes a piece arriving now. */
    void piece() {
        long now = System.nanoTime();
        if (count < times.length) {
            times[count] = now;
        }
        count++;
    }

    /** Pieces so far. */
    int count() {
        return count;
    }

    /** When the first piece arrived; {@code fallback} when none did. */
    long first(long fallback) {
        return count == 0 ? fallback : times[0];
    }

    /** When the last timed piece arrived; {@code fallback} when none did. */
    long last(long fallback) {
        return count == 0 ? fallback : times[Math.min(count, times.length) - 1];
    }

    /** Timed pieces that arrived after {@code from} and no later than {@code to}. */
    int countIn(long from, long to) {
        int n = 0;
        for (int i = 0; i < Math.min(count, times.length); i++) {
            if (times[i] > from && times[i] <= to) {
                n++;
            }
        }
        return n;
    }
}
