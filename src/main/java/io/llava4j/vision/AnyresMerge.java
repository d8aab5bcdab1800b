package io.llava4j.vision;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.vision.preprocess.UnpadLayout;

/**
 * Assembles the embedding sequence of one LLaVA-NeXT anyres image from the encoder outputs of its
 * model-input images, as LLaVA-NeXT's {@code prepare_inputs_labels_for_multimodal} does for
 * {@code mm_patch_merge_type = "spatial_unpad"}: the base (overview) features first, then the
 * tiles' feature maps joined into one grid ({@code view(nph, npw, h, w, C).permute(4, 0, 2, 1, 3)}),
 * cropped by {@code unpad_image} to the original aspect, with the {@code image_newline} embedding
 * appended after every row.
 *
 * <p>llama.cpp feeds tiles as separate flat chunks with neither unpad nor newline; this class is
 * where llava4j follows the reference instead.
 */
public final class AnyresMerge {
    private AnyresMerge() {}

    /**
     * Merges with {@code spatial_unpad}.
     *
     * @param features encoder outputs: index 0 the base image, then the tiles row-major; each
     *     {@code side * side * width} floats, token-major (token {@code y * side + x})
     * @param layout the unpad layout of this image (from {@code ImageLayout#unpad(side)})
     * @param newline the {@code image_newline} embedding, {@code width} floats
     * @param width embedding width
     * @return {@code layout.tokenCount() * width} floats
     * @throws Llava4jException {@code INVALID_ARGUMENT} if sizes disagree, or for the
     *     {@code anyres_max_N} bilinear shrink, which this version does not implement
     */
    public static float[] spatialUnpad(float[][] features, UnpadLayout layout, float[] newline, int width) {
        int side = layout.side();
        int cols = layout.fullCols() / side;
        int rows = layout.fullRows() / side;
        int perImage = side * side * width;
        if (features.length != 1 + rows * cols) {
            throw invalid("a " + cols + "x" + rows + " grid needs " + (1 + rows * cols) + " encoded images, got "
                    + features.length);
        }
        for (float[] f : features) {
            if (f.length != perImage) {
                throw invalid(
                        "each encoded image must hold " + side + "x" + side + "x" + width + " floats, got " + f.length);
            }
        }
        if (newline.length != width) {
            throw invalid("image_newline has " + newline.length + " values, the embedding width is " + width);
        }
        if (layout.interpolated()) {
            throw invalid("anyres_max_N models (LLaVA-OneVision) need a bilinear feature resize that is not"
                    + " supported yet");
        }
        float[] out = new float[layout.tokenCount() * width];
        System.arraycopy(features[0], 0, out, 0, perImage);
        int o = perImage;
        for (int gy = layout.rowStart(); gy < layout.rowStart() + layout.keptRows(); gy++) {
            int tileRow = gy / side;
            int y = gy % side;
            for (int gx = layout.colStart(); gx < layout.colStart() + layout.keptCols(); gx++) {
                float[] tile = features[1 + tileRow * cols + gx / side];
                System.arraycopy(tile, (y * side + gx % side) * width, out, o, width);
                o += width;
            }
            System.arraycopy(newline, 0, out, o, width);
            o += width;
        }
        return out;
    }

    /** {@code mm_patch_merge_type = "flat"}: every encoded image's tokens one after another. */
    public static float[] flat(float[][] features) {
        int total = 0;
        for (float[] f : features) {
            total = Math.addExact(total, f.length);
        }
        float[] out = new float[total];
        int o = 0;
        for (float[] f : features) {
            System.arraycopy(f, 0, out, o, f.length);
            o += f.length;
        }
        return out;
    }

    private static Llava4jException invalid(String message) {
        return new Llava4jException(Code.INVALID_ARGUMENT, message);
    }
}
