package io.llava4j.vision.preprocess;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * One normalised model-input image: {@code width * height * 3} float32 values, row-major, channels
 * interleaved (HWC), i.e. the reference's CHW {@code pixel_values[i]} transposed to HWC, the layout
 * {@link io.llava4j.vision.VisionEncoder} takes. Immutable and thread-safe.
 */
public final class FloatImage {
    private final int width;
    private final int height;
    private final float[] data;

    private FloatImage(int width, int height, float[] data) {
        this.width = width;
        this.height = height;
        this.data = data;
    }

    /**
     * @param data {@code width * height * 3} values, copied
     * @throws IllegalArgumentException on a size mismatch or a side below 1
     */
    public static FloatImage of(int width, int height, float[] data) {
        check(width, height, data);
        return new FloatImage(width, height, data.clone());
    }

    /** Takes ownership of {@code data}; for this package's producers, which never touch it again. */
    static FloatImage wrap(int width, int height, float[] data) {
        check(width, height, data);
        return new FloatImage(width, height, data);
    }

    private static void check(int width, int height, float[] data) {
        if (width < 1 || height < 1 || (long) width * height * 3 != data.length) {
            throw new IllegalArgumentException("expected " + width + "x" + height + "x3 floats, got " + data.length);
        }
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** A copy of the HWC values. */
    public float[] data() {
        return data.clone();
    }

    /** A read-only view of the HWC values, positioned at 0; no copy is made. */
    public FloatBuffer buffer() {
        return FloatBuffer.wrap(data).asReadOnlyBuffer();
    }

    /** The value at (x, y) of channel 0 = R, 1 = G, 2 = B. */
    public float get(int x, int y, int channel) {
        if (x < 0 || x >= width || y < 0 || y >= height || channel < 0 || channel > 2) {
            throw new IndexOutOfBoundsException(
                    "(" + x + "," + y + "," + channel + ") outside " + width + "x" + height);
        }
        return data[(y * width + x) * 3 + channel];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FloatImage f && width == f.width && height == f.height && Arrays.equals(data, f.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "FloatImage[" + width + "x" + height + "]";
    }
}
