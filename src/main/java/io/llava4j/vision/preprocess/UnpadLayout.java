package io.llava4j.vision.preprocess;

/**
 * Where the tile features of one anyres image go in the LLaVA-1.6 {@code spatial_unpad} merge
 * ({@code prepare_inputs_labels_for_multimodal} in {@code llava_arch.py}): the tiles' feature maps
 * are joined into a {@code fullRows x fullCols} grid ({@code rows * side} by {@code cols * side}),
 * {@code unpad_image} keeps rows {@code [rowStart, rowStart + keptRows)} and columns
 * {@code [colStart, colStart + keptCols)}, {@code anyres_max_N} may bilinearly shrink that to
 * {@code outRows x outCols}, and one {@code image_newline} embedding is appended to every row.
 * The image's tokens are then the overview ({@code side * side}) followed by
 * {@code outRows * (outCols + 1)}.
 *
 * @param side feature-map side of one tile (patches per side: 24 for CLIP-L/14-336, 27 SigLIP-384)
 * @param interpolated whether {@code anyres_max_N} resizes (torch bilinear, align_corners=False)
 */
public record UnpadLayout(
        int side,
        int fullRows,
        int fullCols,
        int rowStart,
        int keptRows,
        int colStart,
        int keptCols,
        int outRows,
        int outCols,
        boolean interpolated) {

    /**
     * Computes the layout like {@code unpad_image(tensor, image_size)} (LLaVA: {@code int()}
     * truncation, so 704x396 keeps 26 of 48 rows where HF's {@code int(round(x, 7))} keeps 28) and
     * the {@code anyres_max_N} step ({@code times = sqrt(h * w / (N * side^2))}; shrink to
     * {@code int(h // times) x int(w // times)} when {@code times > 1.1}).
     *
     * @param maxPatches N of {@code anyres_max_N}, 0 for plain anyres
     */
    public static UnpadLayout of(
            int originalWidth, int originalHeight, int gridCols, int gridRows, int side, int maxPatches) {
        int curH = gridRows * side;
        int curW = gridCols * side;
        double originalAspect = (double) originalWidth / originalHeight;
        double currentAspect = (double) curW / curH;
        int rowStart = 0;
        int colStart = 0;
        int keptRows = curH;
        int keptCols = curW;
        if (originalAspect > currentAspect) {
            double scale = (double) curW / originalWidth;
            int newH = (int) (originalHeight * scale);
            rowStart = Math.floorDiv(curH - newH, 2);
            keptRows = curH - 2 * rowStart;
        } else {
            double scale = (double) curH / originalHeight;
            int newW = (int) (originalWidth * scale);
            colStart = Math.floorDiv(curW - newW, 2);
            keptCols = curW - 2 * colStart;
        }
        int outRows = keptRows;
        int outCols = keptCols;
        boolean interpolated = false;
        if (maxPatches > 0) {
            double times = Math.sqrt((double) ((long) keptRows * keptCols) / ((long) maxPatches * side * side));
            if (times > 1.1) {
                outRows = (int) AnyresMath.pyFloorDiv(keptRows, times);
                outCols = (int) AnyresMath.pyFloorDiv(keptCols, times);
                interpolated = true;
            }
        }
        return new UnpadLayout(
                side, curH, curW, rowStart, keptRows, colStart, keptCols, outRows, outCols, interpolated);
    }

    /** Overview plus grid with newlines: {@code side^2 + outRows * (outCols + 1)}. */
    public int tokenCount() {
        return side * side + outRows * (outCols + 1);
    }
}
