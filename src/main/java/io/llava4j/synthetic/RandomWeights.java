package io.llava4j.synthetic;

import io.llava4j.gguf.GgufWriter;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Deterministic random weights for test models, streamed chunk by chunk so that a 7B-shaped model
 * never sits in memory.
 *
 * <p>Distribution: {@code mean + std * z} where {@code z} is an Irwin-Hall approximation of a
 * standard normal (the centred, scaled sum of four 16-bit uniforms taken from one
 * {@link SplittableRandom#nextLong()}; bounded at about 3.46). It uses integer arithmetic and one
 * float multiply-add only, so the bytes are identical on every JVM and platform (a
 * {@code nextGaussian}/{@code Math.log} based generator is not guaranteed to be).
 *
 * <p>Determinism: element {@code i} of tensor {@code name} depends only on the model seed, the
 * tensor name and {@code i}: each chunk of {@value #CHUNK} elements has its own generator seeded from
 * (seed, name, chunk index), which also lets chunks be generated in parallel without changing the
 * result.
 */
public final class RandomWeights {
    /** Elements per independently seeded chunk. */
    public static final int CHUNK = 1 << 16;

    private static final int CHUNKS_PER_BATCH = 64;
    private static final float IRWIN_HALL_SCALE = 1.7320508f; // sqrt(12 / 4): unit variance for 4 uniforms

    private RandomWeights() {}

    /** The generator seed of one tensor: a SplitMix64 mix of the model seed and the name's FNV-1a hash. */
    public static long tensorSeed(long modelSeed, String tensorName) {
        long h = 0xcbf2_9ce4_8422_2325L;
        for (byte b : tensorName.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100_0000_01b3L;
        }
        return mix(modelSeed ^ mix(h));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58_476d_1ce4_e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d0_49bb_1331_11ebL;
        return z ^ (z >>> 31);
    }

    /** Fills {@code out[0, len)} with chunk {@code chunk} of the stream of {@code tensorSeed}. */
    static void fillChunk(long tensorSeed, long chunk, float mean, float std, float[] out, int len) {
        SplittableRandom rnd = new SplittableRandom(mix(tensorSeed + chunk * 0x9e37_79b9_7f4a_7c15L));
        for (int i = 0; i < len; i++) {
            long r = rnd.nextLong();
            int sum = (int) (r & 0xffff) + (int) ((r >>> 16) & 0xffff) + (int) ((r >>> 32) & 0xffff) + (int) (r >>> 48);
            float z = ((sum + 2) * (1f / 65536f) - 2f) * IRWIN_HALL_SCALE; // each uniform is (u + 0.5) / 65536
            out[i] = mean + std * z;
        }
    }

    /**
     * A tensor source writing {@code count} values {@code mean + std * z} (see class comment),
     * converted to the tensor's float type (F32, F16 or BF16) by the writer.
     */
    public static GgufWriter.TensorSource normal(long modelSeed, String tensorName, long count, float mean, float std) {
        long seed = tensorSeed(modelSeed, tensorName);
        return out -> {
            long nChunks = (count + CHUNK - 1) / CHUNK;
            int batch = (int) Math.min(CHUNKS_PER_BATCH, nChunks);
            float[][] bufs = new float[batch][CHUNK];
            int[] lens = new int[batch];
            for (long first = 0; first < nChunks; first += batch) {
                long c0 = first;
                int nb = (int) Math.min(batch, nChunks - c0);
                IntStream.range(0, nb).parallel().forEach(i -> {
                    long c = c0 + i;
                    lens[i] = (int) Math.min(CHUNK, count - c * CHUNK);
                    fillChunk(seed, c, mean, std, bufs[i], lens[i]);
                });
                for (int i = 0; i < nb; i++) {
                    out.writeFloats(bufs[i], 0, lens[i]);
                }
            }
        };
    }

    /** The same values as {@link #normal} in an array, for small tensors and for tests. */
    public static float[] normalArray(long modelSeed, String tensorName, int count, float mean, float std) {
        long seed = tensorSeed(modelSeed, tensorName);
        float[] all = new float[count];
        float[] buf = new float[CHUNK];
        for (long c = 0; c * CHUNK < count; c++) {
            int len = (int) Math.min(CHUNK, count - c * CHUNK);
            fillChunk(seed, c, mean, std, buf, len);
            System.arraycopy(buf, 0, all, (int) (c * CHUNK), len);
        }
        return all;
    }
}
