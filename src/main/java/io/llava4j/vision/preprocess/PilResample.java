package io.llava4j.vision.preprocess;

import io.llava4j.image.RgbImage;

/**
 * A bit-exact port of Pillow's convolution resampler for 8-bit RGB ({@code src/libImaging/
 * Resample.c}, Pillow 9.4; unchanged in its essentials since Pillow 4.3), which HF image processors
 * and LLaVA's {@code resize_and_pad_image} reach through {@code PIL.Image.resize} with
 * {@code reducing_gap=None}.
 *
 * <p>Mirrors: {@code _resize} in {@code _imaging.c} (an integer box of the output size is a plain
 * crop), {@code ImagingResampleInner} (horizontal pass first, over only the rows the vertical pass
 * reads, then the vertical pass; a pass is skipped when its axis is unchanged), {@code
 * precompute_coeffs} (the filter support widens by the downscale factor, so downscaling
 * antialiases; bounds rounded with {@code (int)(x + 0.5)}; weights normalised to sum 1), {@code
 * normalize_coeffs_8bpc} (weights to fixed point with {@link #PRECISION_BITS} = 22 fraction bits,
 * rounded half away from zero) and {@code ImagingResample{Horizontal,Vertical}_8bpc} (integer
 * accumulation starting at 1/2, then {@code clip8}: shift and clamp to 0-255 after each pass).
 *
 * <p>Stateless and thread-safe.
 */
public final class PilResample {
    /** {@code PRECISION_BITS = 32 - 8 - 2} in Resample.c. */
    static final int PRECISION_BITS = 32 - 8 - 2;

    private PilResample() {}

    /**
     * {@code image.resize((width, height), filter)}.
     *
     * @throws IllegalArgumentException if a target side is below 1
     */
    public static RgbImage resize(RgbImage image, int width, int height, ResampleFilter filter) {
        return resize(image, width, height, filter, 0f, 0f, image.width(), image.height());
    }

    /**
     * {@code image.resize((width, height), filter, box=(x0, y0, x1, y1))}: resamples the source
     * region given in float pixel coordinates (Pillow keeps the box in C {@code float}).
     *
     * @throws IllegalArgumentException if a target side is below 1 or the box is negative, empty
     *     or outside the image (Pillow's checks)
     */
    public static RgbImage resize(
            RgbImage image, int width, int height, ResampleFilter filter, float x0, float y0, float x1, float y1) {
        byte[] src = new byte[image.width() * image.height() * 3];
        image.rgbBuffer().get(src);
        return new RgbImage(
                width,
                height,
                resize(src, image.width(), image.height(), width, height, filter, new float[] {x0, y0, x1, y1}));
    }

    /** The array form of {@link #resize(RgbImage, int, int, ResampleFilter)}; {@code src} is not modified. */
    static byte[] resize(byte[] src, int inW, int inH, int outW, int outH, ResampleFilter filter) {
        return resize(src, inW, inH, outW, outH, filter, new float[] {0f, 0f, inW, inH});
    }

    static byte[] resize(byte[] src, int inW, int inH, int outW, int outH, ResampleFilter filter, float[] box) {
        if (outW < 1 || outH < 1) {
            throw new IllegalArgumentException("resize target must be at least 1x1, got " + outW + "x" + outH);
        }
        if (box[0] < 0 || box[1] < 0) {
            throw new IllegalArgumentException("box offset can't be negative");
        }
        if (box[2] > inW || box[3] > inH) {
            throw new IllegalArgumentException("box can't exceed original image size");
        }
        if (box[2] - box[0] < 0 || box[3] - box[1] < 0) {
            throw new IllegalArgumentException("box can't be empty");
        }
        // Image.resize: same size and full box -> copy; _resize: integer box of the output size -> crop
        if (box[0] - (int) box[0] == 0
                && box[2] - box[0] == outW
                && box[1] - (int) box[1] == 0
                && box[3] - box[1] == outH) {
            return crop(src, inW, (int) box[0], (int) box[1], outW, outH);
        }
        return resampleInner(src, inW, inH, outW, outH, filter, box);
    }

    /** A copy of the rectangle at (x, y) of size w x h; the rectangle must lie inside the image. */
    static byte[] crop(byte[] src, int inW, int x, int y, int w, int h) {
        byte[] out = new byte[w * h * 3];
        for (int row = 0; row < h; row++) {
            System.arraycopy(src, ((y + row) * inW + x) * 3, out, row * w * 3, w * 3);
        }
        return out;
    }

    /** {@code ImagingResampleInner}. */
    private static byte[] resampleInner(
            byte[] src, int inW, int inH, int outW, int outH, ResampleFilter filter, float[] box) {
        // Pillow compares box[2] with xsize here (not with the input width); kept as written.
        boolean needHorizontal = outW != inW || box[0] != 0 || box[2] != outW;
        boolean needVertical = outH != inH || box[1] != 0 || box[3] != outH;

        Coefficients horiz = Coefficients.precompute(inW, box[0], box[2], outW, filter);
        Coefficients vert = Coefficients.precompute(inH, box[1], box[3], outH, filter);

        int yboxFirst = vert.bounds[0];
        int yboxLast = vert.bounds[outH * 2 - 2] + vert.bounds[outH * 2 - 1];

        byte[] cur = src;
        int curW = inW;
        if (needHorizontal) {
            for (int i = 0; i < outH; i++) {
                vert.bounds[i * 2] -= yboxFirst; // the temporary image starts at row yboxFirst
            }
            cur = horizontal(src, inW, yboxFirst, yboxLast - yboxFirst, outW, horiz);
            curW = outW;
        }
        if (needVertical) {
            cur = vertical(cur, curW, outH, vert);
        }
        return cur == src ? src.clone() : cur;
    }

    /** {@code ImagingResampleHorizontal_8bpc}: rows [offset, offset + rows) of the input. */
    private static byte[] horizontal(byte[] in, int inW, int offset, int rows, int outW, Coefficients c) {
        int[] kk = c.fixedPoint();
        int ksize = c.ksize;
        byte[] out = new byte[outW * rows * 3];
        int o = 0;
        for (int yy = 0; yy < rows; yy++) {
            int rowBase = (yy + offset) * inW * 3;
            for (int xx = 0; xx < outW; xx++) {
                int xmin = c.bounds[xx * 2];
                int xmax = c.bounds[xx * 2 + 1];
                int k = xx * ksize;
                int ss0 = 1 << (PRECISION_BITS - 1);
                int ss1 = ss0;
                int ss2 = ss0;
                int p = rowBase + xmin * 3;
                for (int x = 0; x < xmax; x++, p += 3) {
                    int w = kk[k + x];
                    ss0 += (in[p] & 0xFF) * w;
                    ss1 += (in[p + 1] & 0xFF) * w;
                    ss2 += (in[p + 2] & 0xFF) * w;
                }
                out[o++] = clip8(ss0);
                out[o++] = clip8(ss1);
                out[o++] = clip8(ss2);
            }
        }
        return out;
    }

    /** {@code ImagingResampleVertical_8bpc}. */
    private static byte[] vertical(byte[] in, int w, int outH, Coefficients c) {
        int[] kk = c.fixedPoint();
        int ksize = c.ksize;
        int stride = w * 3;
        byte[] out = new byte[w * outH * 3];
        int[] ss = new int[stride];
        for (int yy = 0; yy < outH; yy++) {
            int ymin = c.bounds[yy * 2];
            int ymax = c.bounds[yy * 2 + 1];
            int k = yy * ksize;
            java.util.Arrays.fill(ss, 1 << (PRECISION_BITS - 1));
            for (int y = 0; y < ymax; y++) { // row-major accumulation; same sums as Pillow's loop order
                int weight = kk[k + y];
                int p = (y + ymin) * stride;
                for (int i = 0; i < stride; i++) {
                    ss[i] += (in[p + i] & 0xFF) * weight;
                }
            }
            int o = yy * stride;
            for (int i = 0; i < stride; i++) {
                out[o + i] = clip8(ss[i]);
            }
        }
        return out;
    }

    /** {@code clip8}: drop the fraction bits and clamp to 0-255. */
    static byte clip8(int in) {
        if (in >= 1 << PRECISION_BITS << 8) {
            return (byte) 255;
        }
        if (in <= 0) {
            return 0;
        }
        return (byte) (in >> PRECISION_BITS);
    }
}
