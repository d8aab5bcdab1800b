package io.llava4j.vision.preprocess;

import io.llava4j.image.RgbImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * LLaVA image preprocessing, pixel-exact with the reference Python (Pillow 9.4 + HF processors):
 *
 * <ul>
 *   <li>{@link AspectMode#PAD}: {@code expand2square(img, int(mean * 255))} (the image pasted at
 *       {@code (0, (w - h) // 2)} when wide, {@code ((h - w) // 2, 0)} when tall), then the
 *       processor resize to {@code imageSize}^2;
 *   <li>{@link AspectMode#CROP}: CLIPImageProcessor: shortest edge to {@code imageSize}
 *       ({@code int(size * long / short)}; skipped when already equal), centre crop with
 *       {@code top = (h - size) // 2}, {@code left = (w - size) // 2};
 *   <li>{@link AspectMode#SQUASH}: NeXT's SigLipImageProcessor: resize to {@code imageSize}^2;
 *   <li>{@link AspectMode#ANYRES}: {@code process_anyres_image}: {@code select_best_resolution},
 *       {@code resize_and_pad_image} (bicubic, black canvas), {@code divide_to_patches} row-major,
 *       preceded by the whole image squashed to {@code imageSize}^2 (the reference's "resize
 *       instead of pad"). Images smaller than one tile are still upscaled and tiled.
 * </ul>
 * Every resize is {@link PilResample} (Pillow's {@code Image.resize}, bit-exact). Normalisation
 * follows HF in float32: {@code x = float32(uint8 * (1/255 as double))}, then
 * {@code (x - float32(mean)) / float32(std)} in float32, so outputs match the reference bit for bit.
 *
 * <p>Immutable and thread-safe.
 */
public final class Preprocessor {
    /** HF {@code rescale_factor}: the double 1/255 = 0.00392156862745098. */
    static final double RESCALE = 1 / 255.0;

    private final PreprocessConfig config;
    /** [channel][level] -> normalised value. */
    private final float[][] levels = new float[3][256];

    public Preprocessor(PreprocessConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        float[] mean = config.mean();
        float[] std = config.std();
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                float x = (float) (v * RESCALE);
                levels[c][v] = (x - mean[c]) / std[c];
            }
        }
    }

    public PreprocessConfig config() {
        return config;
    }

    /** Preprocesses one image; see the class description. */
    public PreprocessedImage process(RgbImage image) {
        int w = image.width();
        int h = image.height();
        byte[] px = new byte[w * h * 3];
        image.rgbBuffer().get(px);
        int size = config.imageSize();
        return switch (config.aspectMode()) {
            case PAD -> {
                int side = Math.max(w, h);
                byte[] square =
                        w == h ? px : paste(px, w, h, side, side, (side - w) / 2, (side - h) / 2, config.padColor());
                yield single(w, h, processorResize(square, side, side));
            }
            case CROP -> single(w, h, processorResize(px, w, h));
            case SQUASH -> single(w, h, PilResample.resize(px, w, h, size, size, config.resample()));
            case ANYRES -> anyres(px, w, h);
        };
    }

    private PreprocessedImage single(int w, int h, byte[] pixels) {
        ImageLayout layout = new ImageLayout(w, h, config.aspectMode(), config.imageSize(), null, 0, 0, 0);
        return new PreprocessedImage(List.of(normalise(pixels)), layout);
    }

    private PreprocessedImage anyres(byte[] px, int w, int h) {
        int size = config.imageSize();
        Resolution best = AnyresMath.selectBestResolution(w, h, config.gridPinpoints());
        AnyresMath.PadPlacement place = AnyresMath.resizeAndPad(w, h, best);
        // resize_and_pad_image: image.resize((nw, nh)) with PIL's default filter (BICUBIC)
        byte[] resized =
                PilResample.resize(px, w, h, place.resizedWidth(), place.resizedHeight(), ResampleFilter.BICUBIC);
        byte[] canvas = paste(
                resized,
                place.resizedWidth(),
                place.resizedHeight(),
                best.width(),
                best.height(),
                place.offsetX(),
                place.offsetY(),
                new int[] {0, 0, 0});
        int cols = best.width() / size;
        int rows = best.height() / size;
        List<FloatImage> out = new ArrayList<>(1 + cols * rows);
        out.add(normalise(PilResample.resize(px, w, h, size, size, ResampleFilter.BICUBIC))); // image.resize((s, s))
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out.add(normalise(PilResample.crop(canvas, best.width(), c * size, r * size, size, size)));
            }
        }
        ImageLayout layout =
                new ImageLayout(w, h, AspectMode.ANYRES, size, best, cols, rows, config.anyresMaxPatches());
        return new PreprocessedImage(out, layout);
    }

    /**
     * The processor's resize (+ crop) for PAD and CROP: shortest edge to {@code imageSize} as
     * CLIPImageProcessor's {@code get_resize_output_image_size(default_to_square=False)}, then the
     * centre crop; on a square input this equals SigLIP's direct resize.
     */
    private byte[] processorResize(byte[] px, int w, int h) {
        int size = config.imageSize();
        int outW = w;
        int outH = h;
        int shortSide = Math.min(w, h);
        if (shortSide != size) {
            int longSide = (int) ((double) size * Math.max(w, h) / shortSide); // int(size * long / short)
            outW = w <= h ? size : longSide;
            outH = w <= h ? longSide : size;
        }
        byte[] resized = PilResample.resize(px, w, h, outW, outH, config.resample());
        if (outW == size && outH == size) {
            return resized;
        }
        return PilResample.crop(resized, outW, (outW - size) / 2, (outH - size) / 2, size, size);
    }

    /** HF {@code rescale} then {@code normalize}, through the per-level table. */
    private FloatImage normalise(byte[] px) {
        int size = config.imageSize();
        float[] out = new float[px.length];
        for (int i = 0; i < px.length; i += 3) {
            out[i] = levels[0][px[i] & 0xFF];
            out[i + 1] = levels[1][px[i + 1] & 0xFF];
            out[i + 2] = levels[2][px[i + 2] & 0xFF];
        }
        return FloatImage.wrap(size, size, out);
    }

    /** PIL {@code Image.new("RGB", (cw, ch), color).paste(img, (x, y))}; the image must fit. */
    static byte[] paste(byte[] src, int w, int h, int cw, int ch, int x, int y, int[] color) {
        byte[] out = new byte[cw * ch * 3];
        for (int i = 0; i < out.length; i += 3) {
            out[i] = (byte) color[0];
            out[i + 1] = (byte) color[1];
            out[i + 2] = (byte) color[2];
        }
        for (int row = 0; row < h; row++) {
            System.arraycopy(src, row * w * 3, out, ((y + row) * cw + x) * 3, w * 3);
        }
        return out;
    }
}
