package io.llava4j.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.gguf.GgufReader;
import io.llava4j.image.RgbImage;
import io.llava4j.testmodels.TinyModels;
import io.llava4j.vision.preprocess.AspectMode;
import io.llava4j.vision.preprocess.PreprocessedImage;
import io.llava4j.vision.preprocess.UnpadLayout;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Preprocess, encode and merge on generated mmprojs: LLaVA-1.5 pad and LLaVA-NeXT anyres. */
class ImageEmbedderTest {
    @TempDir
    Path dir;

    static RgbImage gradient(int w, int h) {
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                rgb[i] = (byte) (x * 255 / w);
                rgb[i + 1] = (byte) (y * 255 / h);
                rgb[i + 2] = (byte) ((x + y) % 256);
            }
        }
        return new RgbImage(w, h, rgb);
    }

    @Test
    void llava15PadGives576Tokens() {
        TinyModels.Pair pair = TinyModels.llava15(dir, 5);
        MmprojConfig cfg = MmprojConfig.from(GgufReader.read(pair.mmproj()));
        assertEquals(AspectMode.PAD, cfg.preprocess().aspectMode());
        assertEquals(336, cfg.preprocess().imageSize());
        try (VisionEncoder enc = VisionEncoder.load(pair.mmproj(), false)) {
            ImageEmbedder.ImageEmbedding e = new ImageEmbedder(enc, cfg).embed(gradient(640, 480), 2);
            assertEquals(576, e.tokens());
            assertEquals(enc.embeddingWidth(), e.width());
        }
    }

    @Test
    void anyresMergesTilesWithNewlinesAfterEveryRow() {
        TinyModels.Pair pair = TinyModels.llavaNextQwen2(dir, 9);
        MmprojConfig cfg = MmprojConfig.from(GgufReader.read(pair.mmproj()));
        assertEquals(AspectMode.ANYRES, cfg.preprocess().aspectMode());
        assertTrue(cfg.spatialUnpad(), "the generated LLaVA-NeXT mmproj asks for spatial_unpad");
        float[] newline = cfg.newline().orElseThrow();
        try (VisionEncoder enc = VisionEncoder.load(pair.mmproj(), false)) {
            ImageEmbedder embedder = new ImageEmbedder(enc, cfg);
            RgbImage image = gradient(640, 480);
            PreprocessedImage pre = embedder.preprocess(image);
            int side = cfg.preprocess().patchesPerSide();
            UnpadLayout layout = pre.layout().unpad(side);
            ImageEmbedder.ImageEmbedding e = embedder.embed(image, 2);
            assertEquals(layout.tokenCount(), e.tokens());
            int width = e.width();
            // the base image comes first, unchanged
            float[] base = enc.encode(pre.images().get(0).data(), 336, 336, 2);
            assertArrayEquals(base, Arrays.copyOf(e.data(), base.length));
            // after the base, each grid row ends in the newline embedding
            int rowLength = layout.outCols() + 1;
            for (int r = 0; r < layout.outRows(); r++) {
                int token = side * side + r * rowLength + layout.outCols();
                assertArrayEquals(
                        newline,
                        Arrays.copyOfRange(e.data(), token * width, (token + 1) * width),
                        "newline after row " + r);
            }
        }
    }
}
