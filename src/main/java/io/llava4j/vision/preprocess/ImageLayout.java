package io.llava4j.vision.preprocess;

/**
 * How one source image was turned into model-input images, and what the feature merge needs.
 *
 * @param originalWidth width of the source image ({@code image_sizes[i][0]})
 * @param originalHeight height of the source image
 * @param mode the aspect mode used
 * @param tileSize side of every model-input image
 * @param canvas the anyres pinpoint chosen by {@code select_best_resolution}; null otherwise
 * @param gridCols anyres tile columns ({@code canvas.width / tileSize}); 0 otherwise
 * @param gridRows anyres tile rows; 0 otherwise
 * @param anyresMaxPatches N of {@code anyres_max_N}, or 0
 */
public record ImageLayout(
        int originalWidth,
        int originalHeight,
        AspectMode mode,
        int tileSize,
        Resolution canvas,
        int gridCols,
        int gridRows,
        int anyresMaxPatches) {

    /** Model-input images: 1, or for anyres the overview plus {@code gridCols * gridRows} tiles. */
    public int imageCount() {
        return mode == AspectMode.ANYRES ? 1 + gridCols * gridRows : 1;
    }

    /**
     * The {@code spatial_unpad} merge layout of an anyres image.
     *
     * @param side feature-map side of one image ({@link PreprocessConfig#patchesPerSide()})
     * @throws IllegalStateException if the mode is not {@link AspectMode#ANYRES}
     */
    public UnpadLayout unpad(int side) {
        if (mode != AspectMode.ANYRES) {
            throw new IllegalStateException("unpad layout exists only for anyres images, not " + mode);
        }
        return UnpadLayout.of(originalWidth, originalHeight, gridCols, gridRows, side, anyresMaxPatches);
    }

    /**
     * Embeddings the reference model reads for this image: anyres with {@code spatial_unpad}:
     * {@code side^2 + H' * (W' + 1)} ({@link UnpadLayout#tokenCount()}); other modes ({@code flat}
     * merge, or a stacked 4-D batch): {@code side^2}. (LLaVA-NeXT's eval path, which passes single
     * images as a list, appends one newline: {@code side^2 + 1}; that is the merge's choice.)
     */
    public int tokenCount(int side) {
        return mode == AspectMode.ANYRES ? unpad(side).tokenCount() : side * side;
    }
}
