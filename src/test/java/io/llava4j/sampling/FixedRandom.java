package io.llava4j.sampling;

import java.util.random.RandomGenerator;

/** A "random" generator whose {@code nextDouble()} always returns the same value. */
final class FixedRandom implements RandomGenerator {
    private final double value;

    FixedRandom(double value) {
        this.value = value;
    }

    @Override
    public double nextDouble() {
        return value;
    }

    @Override
    public long nextLong() {
        throw new UnsupportedOperationException("only nextDouble is used by the draw");
    }
}
