package io.llava4j.vision.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.llava4j.image.RgbImage;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link PilResample} against {@code PIL.Image.resize} (Pillow 9.4.0, Debian python3-pil, x86-64):
 * bit-exact, max abs diff 0 on uint8, for up/downscales from 1x1 to 1920x1080, every filter, and
 * fractional boxes. Inputs are {@link TestPatterns}; outputs are stored raw (gzip) when small and as
 * SHA-256 otherwise ({@code pil/resize/manifest.tsv}).
 */
class PilResampleTest {
    static Stream<Arguments> cases() {
        return PilFixtures.tsv("resize/manifest.tsv").stream().map(r -> Arguments.of((Object) r));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void bitExactWithPillow(String[] c) {
        int w = Integer.parseInt(c[0]);
        int h = Integer.parseInt(c[1]);
        int dw = Integer.parseInt(c[3]);
        int dh = Integer.parseInt(c[4]);
        ResampleFilter filter = ResampleFilter.valueOf(c[5]);
        RgbImage src = TestPatterns.pattern(w, h, Integer.parseInt(c[2]));
        RgbImage out;
        if (c[6].equals("-")) {
            out = PilResample.resize(src, dw, dh, filter);
        } else {
            String[] b = c[6].split(",");
            out = PilResample.resize(
                    src,
                    dw,
                    dh,
                    filter,
                    Float.parseFloat(b[0]),
                    Float.parseFloat(b[1]),
                    Float.parseFloat(b[2]),
                    Float.parseFloat(b[3]));
        }
        String what = w + "x" + h + " -> " + dw + "x" + dh + " " + filter + " box " + c[6] + " vs Pillow "
                + PilFixtures.pillowVersion();
        if (!c[8].equals("-")) {
            byte[] expected = PilFixtures.bytes("resize/" + c[8]);
            assertEquals(0, maxAbsDiff(expected, out.rgb()), what + ": max abs diff");
        }
        assertEquals(c[7], PilFixtures.sha256(out.rgb()), what + ": SHA-256 of the uint8 output");
    }

    @Test
    void sameSizeIsACopyAndIntegerBoxIsACrop() {
        RgbImage src = TestPatterns.pattern(20, 10, 3);
        assertEquals(src, PilResample.resize(src, 20, 10, ResampleFilter.BICUBIC));
        RgbImage crop = PilResample.resize(src, 5, 4, ResampleFilter.LANCZOS, 3, 2, 8, 6);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 5; x++) {
                for (int ch = 0; ch < 3; ch++) {
                    assertEquals(src.sample(x + 3, y + 2, ch), crop.sample(x, y, ch));
                }
            }
        }
    }

    @Test
    void constantImagesStayConstant() {
        byte[] grey = new byte[7 * 5 * 3];
        java.util.Arrays.fill(grey, (byte) 200);
        for (ResampleFilter f : ResampleFilter.values()) {
            RgbImage out = PilResample.resize(new RgbImage(7, 5, grey), 31, 2, f);
            byte[] expected = new byte[31 * 2 * 3];
            java.util.Arrays.fill(expected, (byte) 200);
            assertArrayEquals(expected, out.rgb(), f.toString());
        }
    }

    @Test
    void rejectsWhatPillowRejects() {
        RgbImage src = TestPatterns.pattern(4, 4, 1);
        assertThrows(IllegalArgumentException.class, () -> PilResample.resize(src, 0, 3, ResampleFilter.BICUBIC));
        assertThrows(
                IllegalArgumentException.class,
                () -> PilResample.resize(src, 2, 2, ResampleFilter.BICUBIC, -1, 0, 4, 4));
        assertThrows(
                IllegalArgumentException.class,
                () -> PilResample.resize(src, 2, 2, ResampleFilter.BICUBIC, 0, 0, 5, 4));
        assertThrows(
                IllegalArgumentException.class,
                () -> PilResample.resize(src, 2, 2, ResampleFilter.BICUBIC, 3, 0, 2, 4));
        assertEquals(ResampleFilter.BICUBIC, ResampleFilter.fromPilCode(3));
        assertThrows(IllegalArgumentException.class, () -> ResampleFilter.fromPilCode(0));
    }

    static int maxAbsDiff(byte[] a, byte[] b) {
        assertEquals(a.length, b.length, "byte count");
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((a[i] & 0xFF) - (b[i] & 0xFF)));
        }
        return max;
    }
}
