package io.llava4j.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RgbImageTest {
    @Test
    void isImmutable() {
        byte[] data = {1, 2, 3, 4, 5, 6};
        RgbImage img = new RgbImage(2, 1, data);
        data[0] = 99;
        assertEquals(1, img.sample(0, 0, 0));
        img.rgb()[1] = 99;
        assertEquals(2, img.sample(0, 0, 1));
        assertTrue(img.rgbBuffer().isReadOnly());
        assertEquals(6, img.sample(1, 0, 2));
        assertEquals(img, new RgbImage(2, 1, new byte[] {1, 2, 3, 4, 5, 6}));
        assertNotEquals(img, new RgbImage(1, 2, new byte[] {1, 2, 3, 4, 5, 6}));
        assertThrows(IllegalArgumentException.class, () -> new RgbImage(2, 2, new byte[6]));
        assertThrows(IllegalArgumentException.class, () -> new RgbImage(0, 2, new byte[0]));
        assertThrows(IndexOutOfBoundsException.class, () -> img.sample(2, 0, 0));
    }

    /** Pillow's transpose methods on a 3x2 image with distinct pixels (values are x + 10y). */
    @Test
    void orientationsMatchPillowTranspose() {
        byte[] px = new byte[3 * 2 * 3];
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                px[(y * 3 + x) * 3] = (byte) (x + 10 * y);
            }
        }
        RgbImage img = new RgbImage(3, 2, px);
        // rows of channel 0 after each transform, as PIL's Image.transpose gives them
        assertRows(ExifOrientation.FLIP_HORIZONTAL.apply(img), new int[][] {{2, 1, 0}, {12, 11, 10}});
        assertRows(ExifOrientation.ROTATE_180.apply(img), new int[][] {{12, 11, 10}, {2, 1, 0}});
        assertRows(ExifOrientation.FLIP_VERTICAL.apply(img), new int[][] {{10, 11, 12}, {0, 1, 2}});
        assertRows(ExifOrientation.TRANSPOSE.apply(img), new int[][] {{0, 10}, {1, 11}, {2, 12}});
        assertRows(ExifOrientation.ROTATE_90_CW.apply(img), new int[][] {{10, 0}, {11, 1}, {12, 2}});
        assertRows(ExifOrientation.TRANSVERSE.apply(img), new int[][] {{12, 2}, {11, 1}, {10, 0}});
        assertRows(ExifOrientation.ROTATE_90_CCW.apply(img), new int[][] {{2, 12}, {1, 11}, {0, 10}});
        assertEquals(img, ExifOrientation.NORMAL.apply(img));
    }

    private static void assertRows(RgbImage img, int[][] rows) {
        assertEquals(rows.length, img.height());
        assertEquals(rows[0].length, img.width());
        for (int y = 0; y < rows.length; y++) {
            for (int x = 0; x < rows[0].length; x++) {
                assertEquals(rows[y][x], img.sample(x, y, 0), "(" + x + "," + y + ")");
            }
        }
    }
}
