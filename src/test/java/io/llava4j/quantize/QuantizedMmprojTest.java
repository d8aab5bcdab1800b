package io.llava4j.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufTensorInfo;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.testmodels.TinyModels;
import io.llava4j.vision.VisionEncoder;
import java.nio.file.Path;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every quantization type of an mmproj: the CLIP encoder loads it, its image embeddings stay close
 * to the F32 file's, the tensors llama.cpp's CLIP quantizer always kept (position and patch
 * embeddings, norms, biases) keep their type, and the file shrinks as the type implies. Also the
 * fallback of matrices too narrow for 256-value K-quant blocks.
 */
class QuantizedMmprojTest {
    /** ViT width 256 and feed-forward 512: every matrix row is a whole number of K-quant blocks. */
    private static final ClipSpec WIDE =
            ClipSpec.tiny(256).withShape(256, 4, 512, 3).withSeed(31);

    @TempDir
    static Path dir;

    static Path f32;
    static float[] image;
    static float[] reference;

    @BeforeAll
    static void writeModel() {
        f32 = TinyModels.writeMmproj(WIDE, dir.resolve("mmproj-f32.gguf"));
        SplittableRandom r = new SplittableRandom(5);
        image = new float[336 * 336 * 3];
        for (int i = 0; i < image.length; i++) {
            image[i] = (float) (r.nextDouble() * 4 - 2);
        }
        reference = encode(f32);
    }

    static float[] encode(Path mmproj) {
        try (VisionEncoder enc = VisionEncoder.load(mmproj, false)) {
            return enc.encode(image, 336, 336, 2);
        }
    }

    /**
     * Largest relative L2 error of the embeddings against F32: the language model's bounds, for the
     * same reasons ({@link QuantizedLanguageModelTest#tolerance}). Measured here with an AVX-512 and
     * an AVX2 build, equal to two digits: F16 5.6e-4, Q8_0 1.4e-2, Q5_K_M 6.0e-2, Q5_0 7.5e-2,
     * Q4_K_M 0.11, Q4_0 0.15.
     */
    static double tolerance(QuantType t) {
        return QuantizedLanguageModelTest.tolerance(t);
    }

    @ParameterizedTest
    @EnumSource(QuantType.class)
    void quantizedMmprojEncodesCloseToF32AndKeepsEmbeddingsAndNorms(QuantType type) {
        Path out = dir.resolve("mmproj-" + type + ".gguf");
        QuantizeReport report = Quantizer.quantize(f32, out, type, false, QuantizeListener.NONE);
        assertTrue(report.projector());
        assertTrue(report.fallbacks().isEmpty(), report.fallbacks().toString());
        GgufFile in = GgufReader.read(f32);
        GgufFile q = GgufReader.read(out);

        long matrixElements = 0;
        long keptBytes = 0;
        for (GgufTensorInfo t : q.tensors()) {
            GgmlType before = in.tensor(t.name()).type();
            boolean kept = t.nDims() < 2
                    || t.name().contains("position_embd")
                    || t.name().contains("patch_embd");
            if (kept) {
                assertEquals(before, t.type(), t.name() + " must keep its type");
                keptBytes += t.byteSize();
            } else {
                matrixElements += t.elementCount();
                Set<GgmlType> allowed = type == QuantType.Q4_K_M || type == QuantType.Q5_K_M
                        ? Set.of(type.mainType(), GgmlType.Q6_K)
                        : Set.of(type.mainType());
                assertTrue(allowed.contains(t.type()), t.name() + " is " + t.type() + ", expected " + allowed);
            }
        }
        long metadata = in.fileSize()
                - in.tensors().stream().mapToLong(GgufTensorInfo::byteSize).sum();
        double[] bpw = QuantizedLanguageModelTest.bitsPerWeight(type);
        double lower = metadata + keptBytes + matrixElements * bpw[0] / 8;
        double upper = metadata + keptBytes + matrixElements * bpw[1] / 8 + 64 * 1024;
        assertTrue(
                report.outputBytes() >= lower && report.outputBytes() <= upper,
                type + ": " + report.outputBytes() + " bytes, expected " + (long) lower + ".." + (long) upper);

        float[] embeddings = encode(out);
        assertEquals(reference.length, embeddings.length);
        double error = QuantizedLanguageModelTest.relativeError(reference, embeddings);
        assertTrue(error < tolerance(type), type + ": embeddings differ from F32 by " + error);
    }

    /**
     * The tiny test mmproj (width 32) has no row long enough for a 256-value block: llama.cpp stores
     * those matrices as Q5_0 (planned Q4_K) or Q8_0 (planned Q6_K), says so, and the file works.
     */
    @Test
    void narrowMatricesFallBackToSmallerBlocksAndTheFallbackIsReported() {
        Path narrow = TinyModels.writeMmproj(ClipSpec.tiny(64).withSeed(32), dir.resolve("narrow.gguf"));
        Path out = dir.resolve("narrow-q4km.gguf");
        QuantizeReport report = Quantizer.quantize(narrow, out, QuantType.Q4_K_M, false, QuantizeListener.NONE);
        assertFalse(report.fallbacks().isEmpty());
        GgufFile q = GgufReader.read(out);
        for (Fallback f : report.fallbacks()) {
            assertNotEquals(0, f.columns() % 256, f.toString());
            assertEquals(f.used(), q.tensor(f.tensor()).type().ggmlName(), f.toString());
            assertTrue(Set.of("q4_K", "q6_K").contains(f.wanted()), f.toString());
            assertTrue(Set.of("q5_0", "q8_0").contains(f.used()), f.toString());
        }
        assertTrue(report.fallbacks().stream().anyMatch(f -> f.tensor().equals("mm.0.weight")));
        double error = QuantizedLanguageModelTest.relativeError(encode(narrow), encode(out));
        assertTrue(error < tolerance(QuantType.Q5_0), "fallback types encode like Q5_0/Q8_0: " + error);

        QuantizeReport q40 = Quantizer.quantize(
                narrow, dir.resolve("narrow-q40.gguf"), QuantType.Q4_0, false, QuantizeListener.NONE);
        assertTrue(q40.fallbacks().isEmpty(), "32-value blocks fit rows of 32: " + q40.fallbacks());
    }
}
