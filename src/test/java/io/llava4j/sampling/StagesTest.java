package io.llava4j.sampling;

import static io.llava4j.sampling.ReferenceSampler.direct;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Each stage on small hand-made logits, with the exact surviving sets llama.cpp would keep. */
class StagesTest {

    private static Candidates load(float... logits) {
        Candidates c = new Candidates(logits.length);
        c.load(direct(logits), 0);
        return c;
    }

    private static int[] ids(Candidates c) {
        return Arrays.copyOf(c.ids, c.size);
    }

    private static float[] logs(double... probabilities) {
        float[] out = new float[probabilities.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) Math.log(probabilities[i]);
        }
        return out;
    }

    @Test
    void topKKeepsTheKHighestSortedDescending() {
        Candidates c = load(1, 5, 3, 5, 2, 4);
        new TopKStage(3).apply(c);
        assertFalse(c.full);
        assertTrue(c.sorted);
        assertArrayEquals(new int[] {1, 3, 5}, ids(c));
        assertArrayEquals(new float[] {5, 5, 4}, Arrays.copyOf(c.logits, c.size));
    }

    @Test
    void topKBreaksTiesAtTheBoundaryTowardsLowerIds() {
        Candidates c = load(2, 7, 1, 7, 7, 7, 0);
        new TopKStage(2).apply(c);
        assertArrayEquals(new int[] {1, 3}, ids(c));
    }

    @Test
    void topKNotSmallerThanTheVocabularyKeepsEverything() {
        Candidates c = load(1, 2, 3);
        new TopKStage(3).apply(c);
        assertTrue(c.full);
        new TopKStage(7).apply(c);
        assertTrue(c.full);
    }

    @Test
    void topKMatchesAFullSortOnRandomLogits() {
        SplittableRandom r = new SplittableRandom(7);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(3000);
            int k = 1 + r.nextInt(n);
            float[] logits = new float[n];
            for (int i = 0; i < n; i++) {
                // Few distinct values, so that ties are common.
                logits[i] = r.nextInt(40) / 4f - 5f;
            }
            Candidates c = load(logits);
            new TopKStage(k).apply(c);
            SamplerConfig config = SamplerConfig.defaults().withTopK(k);
            int[] expected =
                    ReferenceSampler.survivors(ReferenceSampler.penalised(logits, config, new int[0]), config).stream()
                            .mapToInt(ReferenceSampler.Token::id)
                            .toArray();
            if (k >= n) {
                assertTrue(c.full);
            } else {
                assertTrue(k > TopKStage.HEAP_LIMIT || c.sorted, "the heap path sorts");
                c.sort();
                assertArrayEquals(expected, ids(c), "n=" + n + " k=" + k);
            }
        }
    }

    @Test
    void largeTopKUsesRadixSelectionWithTheSameResult() {
        SplittableRandom r = new SplittableRandom(9);
        int n = 152_064;
        float[] logits = new float[n];
        for (int i = 0; i < n; i++) {
            logits[i] = (float) (3 * r.nextGaussian());
        }
        logits[5] = Float.NEGATIVE_INFINITY;
        logits[6] = -0f;
        logits[7] = 0f;
        for (int k : new int[] {129, 1000, 40_000, n - 1}) {
            Candidates c = load(logits);
            new TopKStage(k).apply(c);
            assertEquals(k, c.size);
            c.sort();
            SamplerConfig config = SamplerConfig.defaults().withTopK(k);
            int[] expected =
                    ReferenceSampler.survivors(ReferenceSampler.penalised(logits, config, new int[0]), config).stream()
                            .mapToInt(ReferenceSampler.Token::id)
                            .toArray();
            assertArrayEquals(expected, ids(c), "k=" + k);
        }
        // Many equal logits across the boundary: the lowest ids win.
        float[] flat = new float[5000];
        Arrays.fill(flat, 1.5f);
        flat[4999] = 2f;
        Candidates c = load(flat);
        new TopKStage(300).apply(c);
        c.sort();
        int[] expected = new int[300];
        expected[0] = 4999;
        for (int i = 1; i < 300; i++) {
            expected[i] = i - 1;
        }
        assertArrayEquals(expected, ids(c));
    }

    @Test
    void topPKeepsTheSmallestPrefixReachingP() {
        float[] logits = logs(0.125, 0.5, 0.125, 0.25); // sorted: 1 (.5), 3 (.25), 0 (.125), 2 (.125)
        for (boolean full : new boolean[] {true, false}) {
            assertArrayEquals(new int[] {1}, topP(logits, 0.3f, full));
            assertArrayEquals(new int[] {1}, topP(logits, 0f, full));
            assertArrayEquals(new int[] {1, 3}, topP(logits, 0.74f, full));
            assertArrayEquals(new int[] {1, 3, 0}, topP(logits, 0.76f, full));
            assertArrayEquals(new int[] {1, 3, 0, 2}, topP(logits, 0.9f, full));
        }
    }

    private static int[] topP(float[] logits, float p, boolean full) {
        Candidates c = load(logits);
        if (!full) {
            c.materializeAtLeast(Float.NEGATIVE_INFINITY);
        }
        new TopPStage(p).apply(c);
        assertTrue(full || c.sorted, "a sorted set stays sorted");
        c.sort(); // on the full vocabulary the nucleus comes out in bucket order
        return ids(c);
    }

    @Test
    void topPOnTheFullVocabularyMatchesTheReference() {
        SplittableRandom r = new SplittableRandom(11);
        for (int trial = 0; trial < 100; trial++) {
            int n = 2 + r.nextInt(20_000);
            float[] logits = new float[n];
            double spread = 0.5 + 4 * r.nextDouble();
            for (int i = 0; i < n; i++) {
                logits[i] = (float) (r.nextDouble() * r.nextDouble() * spread * 10);
            }
            float p = (float) r.nextDouble();
            Candidates c = load(logits);
            new TopPStage(p).apply(c);
            c.sort();
            SamplerConfig config = SamplerConfig.defaults().withTopK(0).withTopP(p);
            int[] expected =
                    ReferenceSampler.survivors(ReferenceSampler.penalised(logits, config, new int[0]), config).stream()
                            .mapToInt(ReferenceSampler.Token::id)
                            .toArray();
            assertArrayEquals(expected, ids(c), "trial " + trial + " n=" + n + " p=" + p);
        }
    }

    @Test
    void minPKeepsTokensWithinAFactorOfTheMostLikely() {
        float[] logits = logs(0.05, 0.3, 0.4, 0.2, 0.05);
        assertArrayEquals(new int[] {1, 2, 3}, minP(logits, 0.45f, false));
        assertArrayEquals(new int[] {1, 2}, minP(logits, 0.6f, false));
        assertArrayEquals(new int[] {2}, minP(logits, 1f, false));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, minP(logits, 0.1f, false));
        // On a sorted set (after top-k) the same tokens survive, in descending order.
        assertArrayEquals(new int[] {2, 1, 3}, minP(logits, 0.45f, true));
    }

    @Test
    void minPInOnePassMatchesTheTwoPassDefinition() {
        SplittableRandom r = new SplittableRandom(13);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + r.nextInt(5000);
            float[] logits = new float[n];
            for (int i = 0; i < n; i++) {
                logits[i] = (float) (2 * r.nextGaussian());
                if (r.nextInt(50) == 0) {
                    logits[i] = r.nextBoolean() ? Float.NEGATIVE_INFINITY : Float.NaN;
                }
            }
            if (trial % 3 == 1) {
                Arrays.sort(logits); // ascending: the running maximum rises all the time (NaNs last)
            }
            float p = (float) r.nextDouble();
            float logP = (float) Math.log(p);
            float max = Float.NEGATIVE_INFINITY;
            for (float v : logits) {
                max = v > max ? v : max;
            }
            float threshold = max + logP;
            int[] expected = new int[n];
            int count = 0;
            for (int i = 0; i < n; i++) {
                if (logits[i] >= threshold) {
                    expected[count++] = i;
                }
            }
            Candidates c = load(logits);
            new MinPStage(p).apply(c);
            assertArrayEquals(Arrays.copyOf(expected, count), ids(c), "trial " + trial);
        }
    }

    private static int[] minP(float[] logits, float p, boolean afterTopK) {
        Candidates c = load(logits);
        if (afterTopK) {
            new TopKStage(logits.length - 1).apply(c);
        }
        new MinPStage(p).apply(c);
        return ids(c);
    }

    @Test
    void temperatureOnlyScalesTheDraw() {
        Candidates c = load(1, 2);
        new TemperatureStage(0.25f).apply(c);
        assertEquals(4f, c.scale);
        assertTrue(c.full);
    }

    @Test
    void drawWalksTheCumulativeDistribution() {
        // p = 16/17 and 1/17 at temperature 0.5 (logits ln 4 and 0 doubled).
        float[] logits = {(float) Math.log(4), 0};
        assertEquals(0, drawWith(logits, 0.5f, 0.94, true));
        assertEquals(1, drawWith(logits, 0.5f, 0.95, true));
        assertEquals(0, drawWith(logits, 0.5f, 0.94, false));
        assertEquals(1, drawWith(logits, 0.5f, 0.95, false));
        assertEquals(0, drawWith(logits, 0.5f, 0.0, false));
        // At temperature 1: 0.8 and 0.2.
        assertEquals(0, drawWith(logits, 1f, 0.79, true));
        assertEquals(1, drawWith(logits, 1f, 0.81, true));
    }

    private static int drawWith(float[] logits, float temperature, double u, boolean full) {
        Candidates c = load(logits);
        if (!full) {
            c.materializeAtLeast(Float.NEGATIVE_INFINITY);
        }
        new TemperatureStage(temperature).apply(c);
        return new Draw(logits.length).draw(c, new FixedRandom(u));
    }

    @Test
    void drawOnAllNegativeInfinityPicksTheFirstCandidate() {
        float inf = Float.NEGATIVE_INFINITY;
        Candidates c = load(inf, inf, inf);
        assertEquals(0, new Draw(3).draw(c, new FixedRandom(0.7)));
    }

    @Test
    void penaltiesFollowLlamaCppAndAreRestored() {
        float[] original = {2, -2, 1, 0.5f, 3};
        FloatBuffer buf = direct(original);
        PenaltyStage p = new PenaltyStage(3, 2f, 0.5f, 0.25f, 5);
        for (int t : new int[] {4, 0, 1, 0}) {
            p.accept(t); // window of 3 keeps 0, 1, 0: token 4 has left it
        }
        assertEquals(0, p.count(4));
        assertEquals(2, p.count(0));
        p.apply(buf, 0);
        assertEquals(2f / 2 - (2 * 0.5f + 0.25f), buf.get(0)); // positive: divided
        assertEquals(-2f * 2 - (0.5f + 0.25f), buf.get(1)); // negative: multiplied
        assertEquals(1f, buf.get(2));
        assertEquals(3f, buf.get(4));
        p.restore(buf, 0);
        for (int i = 0; i < original.length; i++) {
            assertEquals(original[i], buf.get(i));
        }
        p.reset();
        assertEquals(0, p.distinctCount());
        assertEquals(0, p.count(0));
    }

    @Test
    void penaltyWindowSlidesOverManyTokens() {
        PenaltyStage p = new PenaltyStage(64, 1.1f, 0, 0, 100);
        SplittableRandom r = new SplittableRandom(3);
        int[] history = new int[1000];
        for (int i = 0; i < history.length; i++) {
            history[i] = r.nextInt(100);
            p.accept(history[i]);
            int[] expected = new int[100];
            for (int j = Math.max(0, i - 63); j <= i; j++) {
                expected[history[j]]++;
            }
            int distinct = 0;
            for (int t = 0; t < 100; t++) {
                assertEquals(expected[t], p.count(t));
                distinct += expected[t] > 0 ? 1 : 0;
            }
            assertEquals(distinct, p.distinctCount());
        }
    }

    @Test
    void candidateSortOrdersByLogitThenId() {
        SplittableRandom r = new SplittableRandom(5);
        for (int trial = 0; trial < 100; trial++) {
            int n = r.nextInt(2000);
            int[] ids = new int[n];
            float[] logits = new float[n];
            for (int i = 0; i < n; i++) {
                ids[i] = i;
                logits[i] = r.nextInt(50);
            }
            CandidateSort.sortDescending(ids, logits, 0, n);
            for (int i = 1; i < n; i++) {
                assertTrue(CandidateSort.before(ids[i - 1], logits[i - 1], ids[i], logits[i]), "at " + i);
            }
        }
    }

    @Test
    void fastExpIsWithinItsStatedError() {
        double worst = 0;
        for (float x = -87f; x <= 0f; x += 0.000_37f) {
            double exact = Math.exp(x);
            worst = Math.max(worst, Math.abs(FastExp.exp(x) - exact) / exact);
        }
        assertEquals(1f, FastExp.exp(0f));
        assertTrue(worst < 2.5e-7, "max relative error " + worst);
    }
}
