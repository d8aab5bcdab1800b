package io.llava4j.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.model.LanguageModel;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.testmodels.TinyModels;
import io.llava4j.vision.preprocess.AspectMode;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLIP shim on generated mmprojs (LLaVA-1.5's CLIP, LLaVA-NeXT-Interleave's SigLIP): sizes, values, errors instead of aborts. */
class VisionEncoderTest {
    @TempDir
    static Path dir;

    static TinyModels.Pair pair;

    @BeforeAll
    static void writeModels() {
        pair = TinyModels.llava15(dir, 7);
    }

    static float[] image(int side, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] px = new float[side * side * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) (r.nextDouble() * 4 - 2);
        }
        return px;
    }

    @Test
    void encodes336ImageIntoTokensTimesWidthFiniteFloats() {
        try (VisionEncoder enc = VisionEncoder.load(pair.mmproj(), false);
                LanguageModel lm = LanguageModel.load(pair.lm())) {
            assertEquals(336, enc.imageSize());
            assertEquals(14, enc.patchSize());
            assertEquals("mlp", enc.projector());
            assertEquals(lm.embeddingWidth(), enc.embeddingWidth());
            assertEquals(576, enc.tokenCount(336, 336));
            float[] out = enc.encode(image(336, 1), 336, 336, 2);
            assertEquals(576 * enc.embeddingWidth(), out.length);
            double energy = 0;
            for (float v : out) {
                assertTrue(Float.isFinite(v), "non-finite embedding value");
                energy += v * v;
            }
            assertTrue(energy > 0, "all-zero embeddings");
            assertArrayEquals(out, enc.encode(image(336, 1), 336, 336, 1), "encoding is deterministic");
            float[] other = enc.encode(image(336, 2), 336, 336, 2);
            assertTrue(!java.util.Arrays.equals(out, other), "different images give different embeddings");
        }
    }

    /**
     * A SigLIP tower (LLaVA-NeXT-Interleave's google/siglip-so400m-patch14-384 shape in small):
     * clip.cpp loads it without a class embedding, gives one token per patch (384 / 14 = 27, 729
     * tokens), and llava4j prepares its images by a direct resize, as SiglipImageProcessor does.
     */
    @Test
    void siglipTowerEncodes729TokensAndIsPreparedBySquashing() {
        Path mmproj = TinyModels.writeMmproj(ClipSpec.tinySiglip(64).withSeed(9), dir.resolve("siglip.gguf"));
        try (VisionEncoder enc = VisionEncoder.load(mmproj, false)) {
            assertEquals(384, enc.imageSize());
            assertEquals(14, enc.patchSize());
            assertEquals(64, enc.embeddingWidth());
            assertEquals(729, enc.tokenCount(384, 384));
            float[] out = enc.encode(image(384, 1), 384, 384, 2);
            assertEquals(729 * 64, out.length);
            double energy = 0;
            for (float v : out) {
                assertTrue(Float.isFinite(v), "non-finite embedding value");
                energy += v * v;
            }
            assertTrue(energy > 0, "all-zero embeddings");
            assertTrue(
                    !java.util.Arrays.equals(out, enc.encode(image(384, 2), 384, 384, 2)),
                    "different images give different embeddings");

            MmprojConfig config = MmprojConfig.from(enc.header());
            assertEquals(AspectMode.SQUASH, config.preprocess().aspectMode());
            assertEquals(AspectMode.SQUASH, config.multiImage().aspectMode());
            assertArrayEquals(
                    new float[] {0.5f, 0.5f, 0.5f}, config.preprocess().mean());
            assertArrayEquals(
                    new float[] {0.5f, 0.5f, 0.5f}, config.preprocess().std());
        }
    }

    @Test
    void wrongImageSizesAreExceptionsNotAborts() {
        try (VisionEncoder enc = VisionEncoder.load(pair.mmproj(), false)) {
            Llava4jException e = assertThrows(Llava4jException.class, () -> enc.encode(image(224, 1), 224, 224, 2));
            assertEquals(Llava4jException.Code.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("336x336"), e.getMessage());
            assertThrows(Llava4jException.class, () -> enc.encode(new float[10], 336, 336, 2));
            assertThrows(Llava4jException.class, () -> enc.tokenCount(0, 336));
            assertThrows(Llava4jException.class, () -> enc.tokenCount(50000, 50000));
            // still usable after the errors
            assertEquals(576 * enc.embeddingWidth(), enc.encode(image(336, 3), 336, 336, 2).length);
        }
    }

    @Test
    void useAfterCloseIsClosedAndCloseIsIdempotent() {
        VisionEncoder enc = VisionEncoder.load(pair.mmproj(), false);
        enc.close();
        enc.close();
        Llava4jException e = assertThrows(Llava4jException.class, () -> enc.encode(image(336, 1), 336, 336, 2));
        assertEquals(Llava4jException.Code.CLOSED, e.code());
    }

    @Test
    void languageModelIsNotAnMmproj() {
        Llava4jException e = assertThrows(Llava4jException.class, () -> VisionEncoder.load(pair.lm(), false));
        assertEquals(Llava4jException.Code.INVALID_FILE, e.code());
        assertTrue(e.getMessage().contains("lm.gguf") && e.getMessage().contains("not an mmproj"), e.getMessage());
    }
}
