package io.llava4j.sampling;

import static io.llava4j.sampling.ReferenceSampler.direct;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Draws many tokens with a fixed seed and compares the empirical frequencies with the analytic
 * distribution of {@link ReferenceSampler} by Pearson's chi-square test.
 *
 * <p>Bound: the statistic must stay below the 1 - 1e-4 quantile of chi-square with the pooled
 * categories' degrees of freedom (Wilson-Hilferty approximation), so a correct sampler fails with
 * probability 1e-4 per seed; the seeds are fixed, so the outcome is reproducible. Tokens that the
 * filters remove must never be drawn at all. Each test also runs a negative control: the same
 * counts against a slightly wrong distribution (temperature off by 15%) must be rejected, which
 * proves that {@value #DRAWS} draws are enough to detect such an error.
 */
class SamplerDistributionTest {
    private static final int DRAWS = 20_000;
    /** Fewer draws on the large vocabulary (each costs a pass over it); 6 categories need no more. */
    private static final int LARGE_DRAWS = 5_000;
    /** Standard normal quantile for 1 - 1e-4. */
    private static final double Z = 3.719;

    /** 16 logits in shuffled order, spanning several nats. */
    private static final float[] LOGITS = {
        -0.5f, 1.5f, -3f, 0.7f, 2.0f, -1f, 0.3f, -6f, 1.0f, -0.2f, 1.4f, -4f, 0.5f, -1.5f, 0.0f, -2f,
    };

    static Stream<Arguments> configurations() {
        SamplerConfig off = SamplerConfig.defaults().withTopK(0).withTemperature(1);
        int[] none = {};
        int[] history = {4, 1, 4, 10, 8, 4};
        return Stream.of(
                Arguments.of("temperature only (full-vocabulary draw)", off, none),
                Arguments.of("low temperature", off.withTemperature(0.4), none),
                Arguments.of("top-k 5, temperature 0.7", off.withTopK(5).withTemperature(0.7), none),
                Arguments.of(
                        "top-p 0.8 on the full vocabulary", off.withTopP(0.8).withTemperature(1.3), none),
                Arguments.of("min-p 0.2 on the full vocabulary", off.withMinP(0.2), none),
                Arguments.of(
                        "top-k 10, top-p 0.9, min-p 0.05, temperature 0.8",
                        off.withTopK(10).withTopP(0.9).withMinP(0.05).withTemperature(0.8),
                        none),
                Arguments.of(
                        "top-p then min-p without top-k", off.withTopP(0.95).withMinP(0.1), none),
                Arguments.of(
                        "penalties over a window of 4",
                        off.withRepeatPenalty(1.3)
                                .withFrequencyPenalty(0.2)
                                .withPresencePenalty(0.3)
                                .withPenaltyWindow(4),
                        history),
                Arguments.of(
                        "penalties with top-k 6",
                        off.withTopK(6).withRepeatPenalty(1.5).withPenaltyWindow(64),
                        history));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void frequenciesMatchTheAnalyticDistribution(String name, SamplerConfig config, int[] history) {
        Sampler sampler = Sampler.create(config.withSeed(name.hashCode()), LOGITS.length);
        for (int t : history) {
            sampler.accept(t);
        }
        FloatBuffer logits = direct(LOGITS);
        long[] counts = new long[LOGITS.length];
        for (int i = 0; i < DRAWS; i++) {
            counts[sampler.sample(logits)]++;
        }
        double[] expected = ReferenceSampler.distribution(LOGITS, config, history);
        assertFits(counts, expected, DRAWS, name);
        double[] wrong =
                ReferenceSampler.distribution(LOGITS, config.withTemperature(config.temperature() * 1.15), history);
        assertTrue(
                chiSquare(counts, wrong, DRAWS) > critical(degreesOfFreedom(wrong, DRAWS)),
                name + ": the negative control was not rejected, the test has no power");
    }

    @Test
    void largeVocabularyWithABulkAndAFewLikelyTokens() {
        int vocab = 30_000;
        float[] values = new float[vocab];
        SplittableRandom r = new SplittableRandom(12);
        for (int i = 0; i < vocab; i++) {
            values[i] = (float) r.nextGaussian();
        }
        int[] likely = {17, 4_999, 12_345, 20_000, 29_999};
        for (int j = 0; j < likely.length; j++) {
            values[likely[j]] = 9f + 0.4f * j;
        }
        FloatBuffer logits = direct(values);
        SamplerConfig off = SamplerConfig.defaults().withTopK(0).withTemperature(1);
        SamplerConfig[] configs = {off, off.withTopP(0.7), off.withTopP(0.97), off.withMinP(0.001), off.withTopK(3000)};
        for (SamplerConfig config : configs) {
            Sampler sampler = Sampler.create(config.withSeed(5), vocab);
            long[] counts = new long[likely.length + 1]; // the likely tokens, then "any other"
            for (int i = 0; i < LARGE_DRAWS; i++) {
                int token = sampler.sample(logits);
                int slot = java.util.Arrays.binarySearch(likely, token);
                counts[slot >= 0 ? slot : likely.length]++;
            }
            assertFits(counts, pooled(values, config, likely), LARGE_DRAWS, config.toString());
            double[] wrong = pooled(values, config.withTemperature(1.15), likely);
            assertTrue(
                    chiSquare(counts, wrong, LARGE_DRAWS) > critical(degreesOfFreedom(wrong, LARGE_DRAWS)),
                    config + ": the negative control was not rejected");
        }
    }

    /** Reference probabilities of each token in {@code likely}, then of all the others together. */
    private static double[] pooled(float[] values, SamplerConfig config, int[] likely) {
        double[] full = ReferenceSampler.distribution(values, config, new int[0]);
        double[] out = new double[likely.length + 1];
        for (int t = 0; t < full.length; t++) {
            int slot = java.util.Arrays.binarySearch(likely, t);
            out[slot >= 0 ? slot : likely.length] += full[t];
        }
        return out;
    }

    private static void assertFits(long[] counts, double[] expected, int draws, String name) {
        for (int t = 0; t < counts.length; t++) {
            if (expected[t] == 0) {
                assertEquals(0, counts[t], name + ": token " + t + " was filtered out but drawn");
            }
        }
        double statistic = chiSquare(counts, expected, draws);
        double bound = critical(degreesOfFreedom(expected, draws));
        assertTrue(statistic < bound, name + ": chi-square " + statistic + " >= " + bound);
    }

    /** Pearson's statistic; categories expecting fewer than 5 draws are pooled into one. */
    private static double chiSquare(long[] counts, double[] expected, int draws) {
        double statistic = 0;
        double pooledExpected = 0;
        long pooledObserved = 0;
        for (int t = 0; t < counts.length; t++) {
            double e = expected[t] * draws;
            if (e >= 5) {
                statistic += (counts[t] - e) * (counts[t] - e) / e;
            } else {
                pooledExpected += e;
                pooledObserved += counts[t];
            }
        }
        if (pooledExpected > 0) {
            double diff = pooledObserved - pooledExpected;
            // A pool expecting almost nothing but holding draws is a gross error, not noise.
            statistic += pooledExpected >= 1 ? diff * diff / pooledExpected : (pooledObserved > 5 ? 1e9 : 0);
        }
        return statistic;
    }

    private static int degreesOfFreedom(double[] expected, int draws) {
        int categories = 0;
        boolean pooled = false;
        for (double p : expected) {
            if (p * draws >= 5) {
                categories++;
            } else if (p > 0) {
                pooled = true;
            }
        }
        return Math.max(1, categories + (pooled ? 1 : 0) - 1);
    }

    /** Wilson-Hilferty approximation of the 1 - 1e-4 quantile of chi-square with {@code df} degrees. */
    private static double critical(int df) {
        double a = 2.0 / (9 * df);
        double base = 1 - a + Z * Math.sqrt(a);
        return df * base * base * base;
    }
}
