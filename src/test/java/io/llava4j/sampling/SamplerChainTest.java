package io.llava4j.sampling;

import static io.llava4j.sampling.ReferenceSampler.direct;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.llava4j.Llava4jException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The assembled {@link Sampler}: greedy, buffer contract, determinism, allocation. */
class SamplerChainTest {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    @Test
    void greedyTakesTheArgmaxAndTheLowestIdOnTies() {
        Sampler s = Sampler.create(SamplerConfig.greedy(), 5);
        assertEquals(1, s.sample(direct(1, 3, 3, 2, -1)));
        assertEquals(4, s.sample(direct(1, 3, 3, 2, 9)));
        assertEquals(0, s.sample(direct(NEG_INF, NEG_INF, NEG_INF, NEG_INF, NEG_INF)));
        assertEquals(2, s.sample(direct(Float.NaN, 1, 4, Float.NaN, 3)));
    }

    @Test
    void greedyAppliesPenaltiesToTheWindowOnly() {
        Sampler s = Sampler.create(SamplerConfig.greedy().withRepeatPenalty(2).withPenaltyWindow(2), 4);
        FloatBuffer logits = direct(3, 2, 1.9f, 0);
        s.accept(0);
        assertEquals(1, s.sample(logits)); // 3 / 2 = 1.5 < 2
        s.accept(1);
        assertEquals(2, s.sample(logits)); // 1.5 and 1.0 < 1.9
        s.accept(2);
        assertEquals(0, s.sample(logits)); // token 0 left the window: 3 again
    }

    @Test
    void sampleLeavesTheLogitsAndBufferStateAsTheyWere() {
        float[] values = new float[1000];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian();
        }
        SamplerConfig config = SamplerConfig.defaults()
                .withRepeatPenalty(1.3)
                .withFrequencyPenalty(0.2)
                .withPresencePenalty(0.1)
                .withTopP(0.9)
                .withMinP(0.02);
        Sampler s = Sampler.create(config, values.length);
        FloatBuffer logits = direct(values);
        for (int i = 0; i < 200; i++) {
            s.accept(s.sample(logits));
        }
        assertEquals(0, logits.position());
        assertEquals(values.length, logits.limit());
        for (int i = 0; i < values.length; i++) {
            assertEquals(values[i], logits.get(i), "logit " + i);
        }
    }

    @Test
    void readOnlyAndOffsetBuffersGiveTheSameTokens() {
        float[] values = new float[500];
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (3 * r.nextGaussian());
        }
        SamplerConfig config = SamplerConfig.defaults()
                .withTemperature(1)
                .withRepeatPenalty(1.5)
                .withSeed(9);
        FloatBuffer shifted = ByteBuffer.allocateDirect((values.length + 3) * Float.BYTES)
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        shifted.position(3);
        shifted.put(values).position(3);
        int[] plain = run(Sampler.create(config, values.length), direct(values), 300);
        assertArrayEquals(
                plain, run(Sampler.create(config, values.length), direct(values).asReadOnlyBuffer(), 300));
        assertArrayEquals(plain, run(Sampler.create(config, values.length), shifted, 300));
        assertEquals(3, shifted.position());
    }

    private static int[] run(Sampler s, FloatBuffer logits, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = s.sample(logits);
            s.accept(out[i]);
        }
        return out;
    }

    @Test
    void sameSeedSameSequenceDifferentSeedDifferentSequence() {
        float[] values = new float[32_000];
        SplittableRandom r = new SplittableRandom(4);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (2.5 * r.nextGaussian());
        }
        FloatBuffer logits = direct(values);
        SamplerConfig[] configs = {
            SamplerConfig.defaults().withTemperature(1.5),
            SamplerConfig.defaults().withTemperature(1).withTopK(0),
            SamplerConfig.defaults().withTemperature(1).withTopK(0).withTopP(0.95),
            SamplerConfig.defaults().withTemperature(1).withTopK(0).withMinP(0.01),
        };
        for (SamplerConfig config : configs) {
            int[] a = run(Sampler.create(config.withSeed(42), values.length), logits, 200);
            int[] b = run(Sampler.create(config.withSeed(42), values.length), logits, 200);
            int[] c = run(Sampler.create(config.withSeed(43), values.length), logits, 200);
            assertArrayEquals(a, b, config.toString());
            assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c), config.toString());
            Sampler again = Sampler.create(config.withSeed(42), values.length);
            run(again, logits, 50);
            again.reset();
            assertArrayEquals(a, run(again, logits, 200), "reset rewinds the seed: " + config);
            assertArrayEquals(a, run(Sampler.create(config, values.length, new SplittableRandom(42)), logits, 200));
        }
    }

    @Test
    void nanLogitsAreNeverChosenWhileAFiniteOneExists() {
        int vocab = 1000;
        float[] values = new float[vocab];
        SplittableRandom r = new SplittableRandom(6);
        for (int i = 0; i < vocab; i++) {
            values[i] = i % 3 == 0 ? Float.NaN : (float) (r.nextGaussian() - 20);
        }
        FloatBuffer logits = direct(values);
        SamplerConfig off = SamplerConfig.defaults().withTopK(0).withTemperature(1);
        SamplerConfig[] configs = {
            SamplerConfig.greedy(),
            off,
            off.withTopK(1),
            off.withTopK(5),
            off.withTopK(500),
            off.withTopP(0.5),
            off.withMinP(0.5),
            off.withTopK(300).withTopP(0.9).withMinP(0.01),
        };
        for (SamplerConfig config : configs) {
            Sampler s = Sampler.create(config, vocab);
            for (int i = 0; i < 200; i++) {
                int token = s.sample(logits);
                assertTrue(token % 3 != 0, config + " chose NaN token " + token);
            }
        }
    }

    @Test
    void withoutAnyFiniteLogitEveryConfigurationReturnsTokenZero() {
        float nan = Float.NaN;
        FloatBuffer[] inputs = {
            direct(NEG_INF, NEG_INF, NEG_INF, NEG_INF), direct(nan, nan, nan, nan), direct(nan, NEG_INF, nan, NEG_INF),
        };
        SamplerConfig off = SamplerConfig.defaults().withTopK(0).withTemperature(1);
        SamplerConfig[] configs = {
            SamplerConfig.greedy(),
            off,
            off.withTopK(2),
            off.withTopP(0.5),
            off.withMinP(0.5),
            off.withTopK(3).withTopP(0.9).withMinP(0.1).withRepeatPenalty(1.2),
        };
        for (SamplerConfig config : configs) {
            Sampler s = Sampler.create(config, 4);
            s.accept(0);
            for (FloatBuffer logits : inputs) {
                assertEquals(0, s.sample(logits), config.toString());
            }
        }
    }

    @Test
    void rejectsWrongSizesAndTokens() {
        Sampler s = Sampler.create(SamplerConfig.defaults(), 10);
        Llava4jException e = assertThrows(Llava4jException.class, () -> s.sample(direct(new float[9])));
        assertEquals(Llava4jException.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("10") && e.getMessage().contains("9"), e.getMessage());
        assertEquals(
                Llava4jException.Code.INVALID_ARGUMENT,
                assertThrows(Llava4jException.class, () -> s.accept(10)).code());
        assertEquals(
                Llava4jException.Code.INVALID_ARGUMENT,
                assertThrows(Llava4jException.class, () -> s.accept(-1)).code());
        assertEquals(
                Llava4jException.Code.INVALID_ARGUMENT,
                assertThrows(Llava4jException.class, () -> Sampler.create(SamplerConfig.defaults(), 0))
                        .code());
        assertThrows(NullPointerException.class, () -> Sampler.create(SamplerConfig.defaults(), 3, null));
    }

    @Test
    void samplingAllocatesNothingPerToken() {
        assumeTrue(
                ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean,
                "needs HotSpot's per-thread allocation counter");
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(bean.isThreadAllocatedMemorySupported() && bean.isThreadAllocatedMemoryEnabled());
        int vocab = 152_064;
        float[] values = new float[vocab];
        SplittableRandom r = new SplittableRandom(8);
        for (int i = 0; i < vocab; i++) {
            values[i] = (float) (3 * r.nextGaussian());
        }
        FloatBuffer logits = direct(values);
        SamplerConfig[] configs = {
            SamplerConfig.greedy().withRepeatPenalty(1.1),
            SamplerConfig.defaults()
                    .withTemperature(0.8)
                    .withTopK(40)
                    .withTopP(0.95)
                    .withMinP(0.05)
                    .withRepeatPenalty(1.1),
            SamplerConfig.defaults()
                    .withTemperature(1)
                    .withTopK(0)
                    .withTopP(0.9)
                    .withRepeatPenalty(1.1),
            SamplerConfig.defaults().withTemperature(1).withTopK(0).withMinP(0.05),
            SamplerConfig.defaults().withTemperature(1).withTopK(0),
        };
        for (SamplerConfig config : configs) {
            Sampler s = Sampler.create(config, vocab);
            run(s, logits, 300); // warm up, fill the penalty window
            long before = bean.getThreadAllocatedBytes(Thread.currentThread().getId());
            int sum = 0;
            for (int i = 0; i < 100; i++) {
                int t = s.sample(logits);
                s.accept(t);
                sum += t;
            }
            long allocated = bean.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
            // A few hundred bytes of slack for the measurement itself; one copied vocabulary would be 600 KB.
            assertTrue(allocated < 1024, config + " allocated " + allocated + " bytes over 100 tokens (" + sum + ")");
        }
    }
}
