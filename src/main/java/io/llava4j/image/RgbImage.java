package io.llava4j.image;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An immutable 8-bit RGB image: {@code width * height * 3} bytes, row-major, channels interleaved
 * (HWC, R then G then B), the layout of PIL's {@code Image.convert("RGB").tobytes()}.
 *
 * <p>The constructor and {@link #rgb()} copy the array, so no caller can change an instance; use
 * {@link #rgbBuffer()} or {@link #sample} to read without copying. Instances are thread-safe.
 *
 * @param width pixels per row, at least 1
 * @param height rows, at least 1
 * @param rgb {@code width * height * 3} bytes (copied)
 */
public record RgbImage(int width, int height, byte[] rgb) {
    /**
     * @throws IllegalArgumentException if a side is not positive, the pixel count overflows an
     *     array or {@code rgb.length != width * height * 3}
     * @throws NullPointerException if {@code rgb} is null
     */
    public RgbImage {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image sides must be positive: " + width + "x" + height);
        }
        long expected = (long) width * height * 3;
        if (expected > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("image too large for one array: " + width + "x" + height);
        }
        if (rgb.length != expected) {
            throw new IllegalArgumentException(
                    "expected " + expected + " RGB bytes for " + width + "x" + height + ", got " + rgb.length);
        }
        rgb = rgb.clone();
    }

    /** A copy of the interleaved RGB bytes. */
    @Override
    public byte[] rgb() {
        return rgb.clone();
    }

    /** A read-only view of the interleaved RGB bytes, positioned at 0; no copy is made. */
    public ByteBuffer rgbBuffer() {
        return ByteBuffer.wrap(rgb).asReadOnlyBuffer();
    }

    /**
     * One sample, 0-255.
     *
     * @param channel 0 = R, 1 = G, 2 = B
     * @throws IndexOutOfBoundsException outside the image
     */
    public int sample(int x, int y, int channel) {
        if (x < 0 || x >= width || y < 0 || y >= height || channel < 0 || channel > 2) {
            throw new IndexOutOfBoundsException(
                    "(" + x + "," + y + "," + channel + ") outside " + width + "x" + height);
        }
        return rgb[(y * width + x) * 3 + channel] & 0xFF;
    }

    /** Equal when the sizes and every byte are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage other
                && width == other.width
                && height == other.height
                && Arrays.equals(rgb, other.rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
