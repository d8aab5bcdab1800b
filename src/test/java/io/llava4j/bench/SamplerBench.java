package io.llava4j.bench;

import io.llava4j.sampling.Sampler;
import io.llava4j.sampling.SamplerConfig;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-token cost of {@link Sampler#sample} plus {@link Sampler#accept} on a Qwen2-sized
 * vocabulary (152064 logits in a direct buffer, as llama.cpp hands them over).
 *
 * <p>The logits are reproducible: {@link #realisticLogits} (Gaussian bulk plus a few strongly
 * preferred tokens) uses SplitMix64 and Box-Muller so that {@code src/test/cpp/native_sampler_bench.cpp}
 * can build the same array for llama.cpp's own sampler chain.
 *
 * <p>Run with JMH ({@code org.openjdk.jmh.Main SamplerBench}), or run {@link #main} for a plain
 * loop that reports thread CPU time per token, which stays meaningful on a busy machine.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgs = {"-Xms512m", "-Xmx512m"})
public class SamplerBench {
    /** Qwen2's vocabulary size. */
    public static final int VOCAB = 152_064;

    /** The configurations measured; the names are the JMH parameter values. */
    public enum Chain {
        /** Temperature 0: argmax over the penalised logits (no penalties here). */
        GREEDY(SamplerConfig.greedy()),
        /** The usual llama.cpp-style chain: temp 0.8, top-k 40, top-p 0.95, min-p 0.05, repeat 1.1. */
        TOPK_TOPP_MINP_PENALTY(SamplerConfig.defaults()
                .withTemperature(0.8)
                .withTopK(40)
                .withTopP(0.95)
                .withMinP(0.05)
                .withRepeatPenalty(1.1)
                .withPenaltyWindow(64)),
        /** Top-p without top-k: the full-vocabulary nucleus path. */
        TOPP_ONLY(SamplerConfig.defaults().withTemperature(0.8).withTopK(0).withTopP(0.95)),
        /** Min-p without top-k: the pre-filter path. */
        MINP_ONLY(SamplerConfig.defaults().withTemperature(0.8).withTopK(0).withMinP(0.05)),
        /** Plain temperature sampling over the whole vocabulary. */
        TEMPERATURE_ONLY(SamplerConfig.defaults().withTemperature(0.8).withTopK(0));

        final SamplerConfig config;

        Chain(SamplerConfig config) {
            this.config = config.withSeed(1234);
        }
    }

    @Param({"GREEDY", "TOPK_TOPP_MINP_PENALTY"})
    public Chain chain;

    private FloatBuffer logits;
    private Sampler sampler;

    @Setup(Level.Trial)
    public void setUp() {
        logits = realisticLogits(VOCAB, 42);
        sampler = Sampler.create(chain.config, VOCAB);
        for (int i = 0; i < 200; i++) {
            sampler.accept(sampler.sample(logits)); // fill the penalty window as in a real generation
        }
    }

    /** One generation step: choose a token and record it. */
    @Benchmark
    public int sampleAndAccept() {
        int token = sampler.sample(logits);
        sampler.accept(token);
        return token;
    }

    /**
     * A direct native-order buffer of {@code n} logits: 2.5 times a standard Gaussian, plus 32
     * tokens raised by 10 to 18 (an LM is usually confident about a few continuations). Same
     * generator as {@code native_sampler_bench.cpp}.
     */
    public static FloatBuffer realisticLogits(int n, long seed) {
        SplitMix64 rng = new SplitMix64(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i += 2) {
            double u1 = 1.0 - rng.nextDouble();
            double u2 = rng.nextDouble();
            double radius = Math.sqrt(-2.0 * Math.log(u1));
            values[i] = (float) (2.5 * radius * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) {
                values[i + 1] = (float) (2.5 * radius * Math.sin(2 * Math.PI * u2));
            }
        }
        for (int j = 0; j < 32; j++) {
            int index = (int) Long.remainderUnsigned(rng.nextLong(), n);
            values[index] += (float) (10 + 8 * rng.nextDouble());
        }
        FloatBuffer buffer = ByteBuffer.allocateDirect(n * Float.BYTES)
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        buffer.put(values).flip();
        return buffer;
    }

    /** Steele et al.'s SplitMix64, written out so that the C++ benchmark can repeat it bit for bit. */
    static final class SplitMix64 {
        private long state;

        SplitMix64(long seed) {
            this.state = seed;
        }

        long nextLong() {
            long z = state += 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        double nextDouble() {
            return (nextLong() >>> 11) * 0x1.0p-53;
        }
    }

    /**
     * Plain-loop measurement of every {@link Chain}: {@code args[0]} tokens per round (default
     * 20000), 5 rounds, printing thread CPU and wall time per token of the last round.
     */
    public static void main(String[] args) {
        int tokens = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        FloatBuffer logits = realisticLogits(VOCAB, 42);
        double sum = 0;
        for (int i = 0; i < VOCAB; i++) {
            sum += logits.get(i);
        }
        System.out.printf("vocab %d, logit checksum %.6f%n", VOCAB, sum);
        for (Chain chain : Chain.values()) {
            Sampler sampler = Sampler.create(chain.config, VOCAB);
            long cpu = 0;
            long wall = 0;
            long checksum = 0;
            for (int round = 0; round < 5; round++) {
                long cpu0 = threads.getCurrentThreadCpuTime();
                long wall0 = System.nanoTime();
                for (int i = 0; i < tokens; i++) {
                    int token = sampler.sample(logits);
                    sampler.accept(token);
                    checksum += token;
                }
                cpu = threads.getCurrentThreadCpuTime() - cpu0;
                wall = System.nanoTime() - wall0;
            }
            System.out.printf(
                    "%-24s cpu %9.0f ns/token   wall %9.0f ns/token   (checksum %d)%n",
                    chain, (double) cpu / tokens, (double) wall / tokens, checksum);
        }
    }
}
