package io.llava4j.vision.preprocess;

import java.util.List;

/**
 * The anyres arithmetic of the original LLaVA / LLaVA-NeXT {@code llava/mm_utils.py}, with
 * Python's float semantics reproduced (double division, {@code int()} truncation,
 * {@code math.ceil}, strict tie-breaking). Pure functions; thread-safe.
 *
 * <p>LLaVA orders sizes (width, height); HF transformers' LlavaNext iterates pinpoints as
 * (height, width), so ties resolve differently there (e.g. 336x336 picks 336w x 672h here, 672w x
 * 336h in HF). This class follows LLaVA.
 */
public final class AnyresMath {
    private AnyresMath() {}

    /**
     * Where {@code resize_and_pad_image} puts the resized image on the black target canvas.
     *
     * @param canvas the chosen pinpoint
     * @param resizedWidth width the image is resized to (PIL bicubic)
     * @param resizedHeight height the image is resized to
     * @param offsetX paste column, {@code (canvas.width - resizedWidth) // 2}
     * @param offsetY paste row, {@code (canvas.height - resizedHeight) // 2}
     */
    public record PadPlacement(Resolution canvas, int resizedWidth, int resizedHeight, int offsetX, int offsetY) {}

    /**
     * {@code select_best_resolution(original_size, possible_resolutions)}: the pinpoint that keeps
     * the most of the original's pixels after fitting it, then wastes the fewest; the first in list
     * order wins exact ties.
     *
     * @throws IllegalArgumentException if {@code pinpoints} is empty
     */
    public static Resolution selectBestResolution(int originalWidth, int originalHeight, List<Resolution> pinpoints) {
        if (pinpoints.isEmpty()) {
            throw new IllegalArgumentException("no grid pinpoints");
        }
        Resolution best = null;
        long maxEffective = 0;
        long minWasted = Long.MAX_VALUE; // float('inf')
        long originalPixels = (long) originalWidth * originalHeight;
        for (Resolution r : pinpoints) {
            double scale = Math.min((double) r.width() / originalWidth, (double) r.height() / originalHeight);
            long downW = (long) (originalWidth * scale);
            long downH = (long) (originalHeight * scale);
            long effective = Math.min(downW * downH, originalPixels);
            long wasted = (long) r.width() * r.height() - effective;
            if (effective > maxEffective || (effective == maxEffective && wasted < minWasted)) {
                maxEffective = effective;
                minWasted = wasted;
                best = r;
            }
        }
        return best;
    }

    /**
     * The geometry of {@code resize_and_pad_image(image, target)}: scale to fit (the side with the
     * smaller ratio fills the target, the other is {@code min(ceil(side * ratio), target)}), centred.
     * Float quirk kept: 300x200 into 336x672 gives {@code ceil(200 * 1.12) = ceil(224.00000000000003)
     * = 225} rows.
     */
    public static PadPlacement resizeAndPad(int originalWidth, int originalHeight, Resolution target) {
        double scaleW = (double) target.width() / originalWidth;
        double scaleH = (double) target.height() / originalHeight;
        int newW;
        int newH;
        if (scaleW < scaleH) {
            newW = target.width();
            newH = (int) Math.min(Math.ceil(originalHeight * scaleW), target.height());
        } else {
            newH = target.height();
            newW = (int) Math.min(Math.ceil(originalWidth * scaleH), target.width());
        }
        return new PadPlacement(target, newW, newH, (target.width() - newW) / 2, (target.height() - newH) / 2);
    }

    /**
     * {@code get_anyres_image_grid_shape(image_size, grid_pinpoints, patch_size)}: (columns, rows)
     * of tiles, {@code (best.width // tile, best.height // tile)}.
     */
    public static Resolution gridShape(
            int originalWidth, int originalHeight, List<Resolution> pinpoints, int tileSize) {
        Resolution best = selectBestResolution(originalWidth, originalHeight, pinpoints);
        return new Resolution(best.width() / tileSize, best.height() / tileSize);
    }

    /**
     * Python's float floor division {@code a // b} (CPython {@code float_floor_div}: fmod, then
     * snap), which can differ from {@code floor(a / b)} when the quotient rounds to an integer.
     */
    static double pyFloorDiv(double a, double b) {
        double mod = a % b; // C fmod
        double div = (a - mod) / b;
        if (mod != 0 && ((b < 0) != (mod < 0))) {
            div -= 1.0;
        }
        if (div != 0) {
            double floor = Math.floor(div);
            if (div - floor > 0.5) {
                floor += 1.0;
            }
            return floor;
        }
        return Math.copySign(0.0, a / b);
    }
}
