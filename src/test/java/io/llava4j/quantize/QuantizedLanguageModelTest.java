package io.llava4j.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufTensorInfo;
import io.llava4j.model.ContextOptions;
import io.llava4j.model.InferenceContext;
import io.llava4j.model.LanguageModel;
import io.llava4j.sampling.Sampler;
import io.llava4j.synthetic.LmSpec;
import io.llava4j.testmodels.TinyModels;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every quantization type of a language model, on a random-weight LLaMA wide enough for K-quants
 * (width 256, feed-forward 512: every row is a whole number of 256-value blocks): the file loads,
 * generates, stays close to the F32 logits, and has the size the type implies.
 */
class QuantizedLanguageModelTest {
    private static final String PROMPT = "USER: What is in the picture? ASSISTANT:";
    private static final LmSpec SPEC =
            LmSpec.tinyLlama().withShape(256, 2, 4, 4, 512).withSeed(21);

    @TempDir
    static Path dir;

    static Path f32;
    static float[] referenceLogits;
    static final Map<QuantType, Long> SIZES = new EnumMap<>(QuantType.class);
    static final Map<QuantType, Double> ERRORS = new EnumMap<>(QuantType.class);

    @BeforeAll
    static void writeModel() {
        f32 = TinyModels.writeLm(SPEC, dir.resolve("lm-f32.gguf"));
        referenceLogits = lastLogits(f32);
    }

    /** The logits after the prompt, copied out of llama.cpp's buffer. */
    static float[] lastLogits(Path model) {
        try (LanguageModel m = LanguageModel.load(model);
                InferenceContext ctx = m.newContext(
                        ContextOptions.defaults().withContextLength(128).withThreads(2))) {
            int[] ids = m.vocabulary().tokenize(PROMPT, true, true);
            ctx.decode(ids, 0, ids.length);
            return ctx.logits();
        }
    }

    static double relativeError(float[] reference, float[] actual) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < reference.length; i++) {
            diff += (reference[i] - actual[i]) * (double) (reference[i] - actual[i]);
            norm += reference[i] * (double) reference[i];
        }
        return Math.sqrt(diff / norm);
    }

    /**
     * Largest relative L2 error of the prompt's logits against F32 (unrelated logits would be about
     * 1.4). The error comes from rounding: the weights, by ggml's plain C quantizer (not the SIMD
     * kernels: the same file on every x86-64 CPU), and the activations, to Q8_0/Q8_K/F16 as each
     * kernel's input. What differs between CPUs is only the order in which the kernels add up the
     * block products (exact integers for the quantized types; AVX2 8 lanes, AVX-512 16, NEON, the
     * repacked Q4_0/Q4_K layouts), a relative change of order 1e-6 in the result, so the error is a
     * property of the model and the type. Measured on this random-weight model, whose activations
     * are less forgiving than a trained model's, with an AVX-512 and an AVX2 build
     * (-Dllava4j.cpu=avx2), equal to three digits: F16 7.3e-4, Q8_0 1.6e-2, Q5_K_M 6.3e-2, Q5_0
     * 6.7e-2, Q4_K_M 0.135, Q4_0 0.170. The bounds are about twice that, room for another
     * compiler's roundings in the C quantizer (FMA contraction on ARM); a kernel or type mix gone
     * wrong shows, and unrelated logits (1.4) fail every bound.
     */
    static double tolerance(QuantType t) {
        return switch (t) {
            case F16 -> 2e-3;
            case Q8_0 -> 4e-2;
            case Q5_0, Q5_K_M -> 0.15;
            case Q4_0, Q4_K_M -> 0.3;
        };
    }

    /** Bits per weight of the main type, and of the most any matrix gets (Q6_K for output/some V and FFN-down). */
    static double[] bitsPerWeight(QuantType t) {
        double main = t.mainType().typeSize() * 8.0 / t.mainType().blockSize();
        double q6k = GgmlType.Q6_K.typeSize() * 8.0 / GgmlType.Q6_K.blockSize();
        return new double[] {main, Math.max(main, t == QuantType.F16 ? 16 : q6k)};
    }

    @ParameterizedTest
    @EnumSource(QuantType.class)
    void quantizedModelLoadsGeneratesAndShrinksAsTheTypeImplies(QuantType type) {
        Path out = dir.resolve("lm-" + type + ".gguf");
        int[] progress = new int[2];
        QuantizeReport report = Quantizer.quantize(f32, out, type, false, (done, total, tensor) -> {
            progress[0] = done;
            progress[1] = total;
        });
        GgufFile in = GgufReader.read(f32);
        GgufFile q = GgufReader.read(out);
        assertEquals(in.tensors().size(), progress[1], "one progress call per tensor");
        assertEquals(progress[1], progress[0]);
        assertEquals(q.fileSize(), report.outputBytes());
        assertTrue(report.fallbacks().isEmpty(), "no fallbacks at width 256: " + report.fallbacks());
        assertTrue(!report.projector());

        // Matrices take the type (or a richer K-quant for _M mixes); 1-D tensors stay F32.
        long matrixElements = 0;
        long otherBytes = 0;
        for (GgufTensorInfo t : q.tensors()) {
            boolean matrix = t.nDims() == 2 && !t.name().endsWith("_norm.weight");
            if (matrix) {
                matrixElements += t.elementCount();
                Set<GgmlType> allowed = switch (type) {
                    case Q4_K_M, Q5_K_M -> Set.of(type.mainType(), GgmlType.Q6_K);
                    case Q4_0, Q5_0 ->
                        t.name().equals("output.weight") ? Set.of(GgmlType.Q6_K) : Set.of(type.mainType());
                    default -> Set.of(type.mainType());
                };
                assertTrue(allowed.contains(t.type()), t.name() + " is " + t.type() + ", expected one of " + allowed);
            } else {
                assertEquals(GgmlType.F32, t.type(), t.name());
                otherBytes += t.byteSize();
            }
        }
        long metadata = in.fileSize()
                - in.tensors().stream().mapToLong(GgufTensorInfo::byteSize).sum();
        double[] bpw = bitsPerWeight(type);
        double lower = metadata + otherBytes + matrixElements * bpw[0] / 8;
        double upper = metadata + otherBytes + matrixElements * bpw[1] / 8 + 64 * 1024;
        assertTrue(
                report.outputBytes() >= lower && report.outputBytes() <= upper,
                type + ": " + report.outputBytes() + " bytes, expected " + (long) lower + ".." + (long) upper);
        SIZES.put(type, report.outputBytes());

        float[] logits = lastLogits(out);
        double error = relativeError(referenceLogits, logits);
        ERRORS.put(type, error);
        assertTrue(error < tolerance(type), type + ": logits differ from F32 by " + error);
        int[] tokens = greedy(out, 4);
        for (int t : tokens) {
            assertTrue(t >= 0 && t < logits.length, "token id " + t);
        }
    }

    /** Greedy tokens after the prompt. */
    static int[] greedy(Path model, int n) {
        try (LanguageModel m = LanguageModel.load(model);
                InferenceContext ctx = m.newContext(
                        ContextOptions.defaults().withContextLength(128).withThreads(2))) {
            int[] ids = m.vocabulary().tokenize(PROMPT, true, true);
            ctx.decode(ids, 0, ids.length);
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                int best = ctx.readLogits(Sampler::argmax);
                out[i] = best;
                ctx.decode(best);
            }
            return out;
        }
    }

    /** Test order is not guaranteed: quantizes whatever the parameterized test has not done yet. */
    @Test
    void moreBitsMeanALargerFileAndASmallerError() {
        for (QuantType t : QuantType.values()) {
            if (!SIZES.containsKey(t)) {
                Path out = dir.resolve("order-" + t + ".gguf");
                SIZES.put(
                        t,
                        Quantizer.quantize(f32, out, t, true, QuantizeListener.NONE)
                                .outputBytes());
                ERRORS.put(t, relativeError(referenceLogits, lastLogits(out)));
            }
        }
        long input = GgufReader.read(f32).fileSize();
        QuantType[][] moreBitsFirst = {
            {QuantType.F16, QuantType.Q8_0},
            {QuantType.Q8_0, QuantType.Q5_K_M},
            {QuantType.Q8_0, QuantType.Q5_0},
            {QuantType.Q5_0, QuantType.Q4_0},
            {QuantType.Q5_K_M, QuantType.Q4_K_M}
        };
        assertTrue(input > SIZES.get(QuantType.F16));
        for (QuantType[] p : moreBitsFirst) {
            assertTrue(
                    SIZES.get(p[0]) > SIZES.get(p[1]),
                    p[0] + " " + SIZES.get(p[0]) + " vs " + p[1] + " " + SIZES.get(p[1]));
            assertTrue(
                    ERRORS.get(p[0]) < ERRORS.get(p[1]),
                    p[0] + " " + ERRORS.get(p[0]) + " vs " + p[1] + " " + ERRORS.get(p[1]));
        }
    }
}
