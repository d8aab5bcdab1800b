package io.llava4j.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.llava4j.Llava4jException;
import io.llava4j.vision.preprocess.UnpadLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The spatial_unpad merge against a literal transcription of LLaVA-NeXT's tensor code
 * ({@code view → permute(4,0,2,1,3) → flatten → unpad_image → cat newline → flatten → transpose},
 * then the base features in front), on features whose every value names its source.
 */
class AnyresMergeTest {
    /** Feature value for image i, token t, channel c: unique, so any misplacement shows. */
    private static float value(int i, int t, int c) {
        return i * 100_000 + t * 10 + c + 0.5f;
    }

    private static float[][] features(int images, int side, int width) {
        float[][] f = new float[images][side * side * width];
        for (int i = 0; i < images; i++) {
            for (int t = 0; t < side * side; t++) {
                for (int c = 0; c < width; c++) {
                    f[i][t * width + c] = value(i, t, c);
                }
            }
        }
        return f;
    }

    /** The reference, step by step on a [C][H][W] array. */
    private static float[] reference(
            float[][] feats, int cols, int rows, int side, int width, int origW, int origH, float[] newline) {
        int h = rows * side;
        int w = cols * side;
        float[][][] grid = new float[width][h][w];
        for (int py = 0; py < rows; py++) {
            for (int px = 0; px < cols; px++) {
                float[] tile = feats[1 + py * cols + px];
                for (int y = 0; y < side; y++) {
                    for (int x = 0; x < side; x++) {
                        for (int c = 0; c < width; c++) {
                            grid[c][py * side + y][px * side + x] = tile[(y * side + x) * width + c];
                        }
                    }
                }
            }
        }
        // unpad_image(tensor, original_size) from llava/model/llava_arch.py
        int top = 0;
        int bottom = h;
        int left = 0;
        int right = w;
        double originalAspect = (double) origW / origH;
        double currentAspect = (double) w / h;
        if (originalAspect > currentAspect) {
            double scale = (double) w / origW;
            int newHeight = (int) (origH * scale);
            int padding = (h - newHeight) / 2;
            top = padding;
            bottom = h - padding;
        } else {
            double scale = (double) h / origH;
            int newWidth = (int) (origW * scale);
            int padding = (w - newWidth) / 2;
            left = padding;
            right = w - padding;
        }
        int keptW = right - left;
        int n = side * side + (bottom - top) * (keptW + 1);
        float[] out = new float[n * width];
        System.arraycopy(feats[0], 0, out, 0, side * side * width);
        int token = side * side;
        for (int y = top; y < bottom; y++) {
            for (int x = left; x <= right; x++) {
                for (int c = 0; c < width; c++) {
                    out[token * width + c] = x == right ? newline[c] : grid[c][y][x];
                }
                token++;
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}x{1} on a {2}x{3} grid")
    @CsvSource({
        "640, 480, 2, 2",
        "480, 640, 2, 2",
        "1920, 1080, 2, 1",
        "500, 2000, 1, 3",
        "1000, 200, 3, 1",
        "336, 336, 1, 2",
        "300, 200, 2, 2",
        "704, 396, 2, 2",
        "7, 5, 2, 2"
    })
    void matchesTheReferenceTensorCode(int origW, int origH, int cols, int rows) {
        int side = 6;
        int width = 3;
        float[][] feats = features(1 + cols * rows, side, width);
        float[] newline = {-1f, -2f, -3f};
        UnpadLayout layout = UnpadLayout.of(origW, origH, cols, rows, side, 0);
        float[] merged = AnyresMerge.spatialUnpad(feats, layout, newline, width);
        float[] expected = reference(feats, cols, rows, side, width, origW, origH, newline);
        assertEquals(expected.length, merged.length, "token count");
        assertEquals(layout.tokenCount() * width, merged.length);
        assertArrayEquals(expected, merged);
    }

    @Test
    void flatConcatenatesInOrder() {
        float[][] feats = features(3, 2, 2);
        float[] out = AnyresMerge.flat(feats);
        assertEquals(24, out.length);
        assertEquals(value(2, 0, 0), out[16]);
    }

    @Test
    void inconsistentInputsAreRejected() {
        UnpadLayout layout = UnpadLayout.of(640, 480, 2, 2, 4, 0);
        assertThrows(
                Llava4jException.class, () -> AnyresMerge.spatialUnpad(features(4, 4, 2), layout, new float[2], 2));
        assertThrows(
                Llava4jException.class, () -> AnyresMerge.spatialUnpad(features(5, 4, 2), layout, new float[3], 2));
        assertThrows(
                Llava4jException.class, () -> AnyresMerge.spatialUnpad(features(5, 3, 2), layout, new float[2], 2));
    }
}
