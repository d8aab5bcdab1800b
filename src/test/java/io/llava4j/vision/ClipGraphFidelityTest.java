package io.llava4j.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.gguf.GgmlType;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.testmodels.TinyModels;
import io.llava4j.vision.reference.ClipReference;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Regression test for native/patches/0001 (CLS first) and 0002 (every stored block of legacy
 * files): llama.cpp's LLaVA CLIP graph ({@code tools/mtmd/models/llava.cpp}) must give the reference
 * LLaVA image features, i.e. HF {@code CLIPVisionModel} {@code hidden_states[-2]}, patch tokens only,
 * through the {@code mlp2x_gelu} projector, as computed by {@link ClipReference}.
 *
 * <p>Models: tiny random-weight mmprojs (336 px / patch 14 = 576 patches, width 32, 4 heads, 3
 * layers, F32 weights; the patch kernel is F16 in every layout), written in the legacy layout
 * ({@code block_count = n - 1}), the full layout ({@code block_count = n}), and each of them with
 * {@code clip.vision.feature_layer = [n - 1]}; and a SigLIP tower as LLaVA-NeXT-Interleave uses it
 * (384 px = 729 patches, no CLS, patch bias, no pre-LN, tanh GELU, last of 3 layers dropped), against
 * HF {@code SiglipVisionModel} {@code hidden_states[-2]}. Two random normalised images each.
 *
 * <p>Error measure, with {@code a} the native output and {@code b} the reference, both 576 tokens of
 * 64 values: overall {@code ||a - b|| / ||b||} (Euclidean norm over all values), at most 1e-3; and
 * per token {@code ||a_t - b_t|| / ||b_t||}, at most 2e-3 for every token. What is left with the
 * patches is ggml's precision (docs REFERENCE.md section 4): fp16 im2col of the pixels, fp16 lookup
 * tables for quick-GELU and GELU, the projector's tanh GELU and flash attention's fp16 K/V.
 * Emulating those roundings in a copy of the reference brought a 1-block model to 1.4e-5 mean
 * per-token error, so the gap is ggml's rounding, not a difference in the model: about 4.5e-4 per
 * token, and over only 64 values a token's error spreads to about twice that (max 9e-4 of 576
 * tokens on an AVX2 CPU), hence 2e-3 per token. Either defect is three orders of magnitude above.
 *
 * <p>Measured (x86-64 AVX2, CPU backend), per-token max / overall, image 1 and 2:
 * <pre>
 *                          unpatched               0001 only            0001 + 0002
 *   legacy                 2.16/0.990  1.89/1.00   1.17/0.521 1.25/0.543  9.0e-4/4.7e-4 (both)
 *   full                   2.00/0.921  2.13/0.917  8.8e-4/4.5e-4 8.2e-4/4.5e-4  (same)
 *   legacy + feature_layer 1.96/0.983  1.96/0.991  9.0e-4/4.7e-4 (both)         (same)
 *   full + feature_layer   2.00/0.921  2.13/0.917  8.8e-4/4.5e-4 8.2e-4/4.5e-4  (same)
 * </pre>
 * (REFERENCE.md's 0.5-0.7 unpatched was another tiny model; here 0.52 is the layer defect alone.)
 */
class ClipGraphFidelityTest {
    private static final int LM_WIDTH = 64;
    /** Bound on {@code ||a - b|| / ||b||} over all values. */
    private static final double OVERALL_TOLERANCE = 1e-3;
    /** Bound on {@code ||a_t - b_t|| / ||b_t||} for every token (see the class comment for why 2e-3). */
    private static final double TOKEN_TOLERANCE = 2e-3;

    @TempDir
    static Path dir;

    static Stream<Arguments> layouts() {
        return Stream.of(
                Arguments.of("legacy", true, false),
                Arguments.of("full", false, false),
                Arguments.of("legacy+feature_layer", true, true),
                Arguments.of("full+feature_layer", false, true),
                Arguments.of("siglip", false, true));
    }

    static ClipSpec spec(boolean legacy, boolean featureLayer) {
        return ClipSpec.tiny(LM_WIDTH).withLegacy(legacy).withFeatureLayer(featureLayer)
                .withWeightType(GgmlType.F32).withSeed(11);
    }

    /** The layout's spec; "siglip" is LLaVA-NeXT-Interleave's tower in small (384 px, 729 patches). */
    static ClipSpec spec(String name, boolean legacy, boolean featureLayer) {
        return name.equals("siglip") ? ClipSpec.tinySiglip(LM_WIDTH).withSeed(11) : spec(legacy, featureLayer);
    }

    /** A normalised image: values in [-1.8, 2.1], about the range of CLIP-normalised pixels. */
    static float[] image(int side, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] px = new float[side * side * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) (r.nextDouble() * 3.9 - 1.8);
        }
        return px;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layouts")
    void nativeGraphMatchesReferenceForward(String name, boolean legacy, boolean featureLayer) {
        ClipSpec spec = spec(name, legacy, featureLayer);
        Path mmproj = TinyModels.writeMmproj(spec, dir.resolve(name + ".gguf"));
        ClipReference ref = ClipReference.load(mmproj, spec.nLayer());
        int side = spec.imageSize();
        List<String> failures = new ArrayList<>();
        try (VisionEncoder enc = VisionEncoder.load(mmproj, false)) {
            assertEquals(spec.nPatches(), enc.tokenCount(side, side), "one token per patch, no CLS");
            if (spec.siglip()) {
                assertEquals(729, spec.nPatches());
            }
            assertEquals(LM_WIDTH, enc.embeddingWidth());
            for (long seed = 1; seed <= 2; seed++) {
                float[] px = image(side, seed);
                float[] got = enc.encode(px, side, side, 2);
                float[] want = ref.encode(px);
                assertEquals(want.length, got.length);
                Errors e = Errors.of(got, want, LM_WIDTH);
                System.out.printf("ClipGraphFidelityTest %s image %d: per-token max %.3g (token %d), overall %.3g%n",
                        name, seed, e.maxToken(), e.worstToken(), e.overall());
                if (!(e.overall() < OVERALL_TOLERANCE && e.maxToken() < TOKEN_TOLERANCE)) {
                    failures.add("image " + seed + ": overall " + e.overall() + ", worst token " + e.worstToken()
                            + " " + e.maxToken());
                }
            }
        }
        assertTrue(failures.isEmpty(), name + ": the native CLIP graph differs from the reference forward (tolerance "
                + OVERALL_TOLERANCE + " overall, " + TOKEN_TOLERANCE + " per token): " + failures);
    }

    /** The tolerance catches an off-by-one layer: hidden_states[-3] is far from hidden_states[-2]. */
    @Test
    void toleranceSeparatesNeighbouringLayers() {
        ClipSpec spec = spec(true, false);
        Path mmproj = TinyModels.writeMmproj(spec, dir.resolve("depth.gguf"));
        ClipReference ref = ClipReference.load(mmproj, spec.nLayer());
        float[] px = image(spec.imageSize(), 1);
        float[] right = ref.encode(px);
        float[] oneShort = ref.project(ref.hiddenState(px, spec.nLayer() - 2));
        Errors e = Errors.of(oneShort, right, LM_WIDTH);
        assertTrue(e.overall() > 100 * OVERALL_TOLERANCE, "one layer short is only " + e.overall() + " away");
    }

    /**
     * 0002 reads {@code clip.has_llava_projector}; a value of another type must fail the load, not
     * abort the JVM in {@code gguf_get_val_bool}. The key's type tag is flipped from BOOL (7) to
     * UINT8 (0) in place: same size, so the file stays well-formed.
     */
    @Test
    void nonBoolLlavaProjectorKeyFailsTheLoadInsteadOfAborting() throws IOException {
        Path mmproj = TinyModels.writeMmproj(spec(true, false), dir.resolve("badkey.gguf"));
        byte[] bytes = Files.readAllBytes(mmproj);
        byte[] key = "clip.has_llava_projector".getBytes(StandardCharsets.UTF_8);
        int at = indexOf(bytes, key);
        assertTrue(at > 0, "key not found");
        ByteBuffer type = ByteBuffer.wrap(bytes, at + key.length, 4).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(7, type.getInt(at + key.length), "GGUF type tag of a bool");
        type.putInt(at + key.length, 0);
        Files.write(mmproj, bytes);
        assertThrows(Llava4jException.class, () -> VisionEncoder.load(mmproj, false).close());
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Relative errors of {@code a} against {@code b}, both {@code n * width} values. */
    record Errors(double maxToken, int worstToken, double overall) {
        static Errors of(float[] a, float[] b, int width) {
            double num = 0;
            double den = 0;
            double max = 0;
            int worst = -1;
            for (int t = 0; t < b.length / width; t++) {
                double tn = 0;
                double td = 0;
                for (int i = t * width; i < (t + 1) * width; i++) {
                    double d = (double) a[i] - b[i];
                    tn += d * d;
                    td += (double) b[i] * b[i];
                }
                double rel = Math.sqrt(tn / td);
                if (!(rel <= max)) { // NaN counts as worst
                    max = rel;
                    worst = t;
                }
                num += tn;
                den += td;
            }
            return new Errors(max, worst, Math.sqrt(num / den));
        }
    }
}
