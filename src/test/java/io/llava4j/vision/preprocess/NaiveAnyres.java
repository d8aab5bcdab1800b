package io.llava4j.vision.preprocess;

import io.llava4j.image.RgbImage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A deliberately plain second implementation of the reference algorithms, written from the LLaVA
 * Python without looking at the production classes' structure: candidates ranked with a
 * comparator, pixels placed one at a time, and the spatial_unpad merge simulated on an actual grid
 * of token ids (tiles laid out like {@code view(rows, cols, side, side).permute(...)}, Python slice
 * {@code [p : n - p]}, a newline id appended per row). Only {@link PilResample}, verified against
 * Pillow separately, is shared.
 */
final class NaiveAnyres {
    private NaiveAnyres() {}

    static Resolution selectBest(int w, int h, List<Resolution> pins) {
        record Cand(int index, long effective, long wasted) {}
        List<Cand> c = new ArrayList<>();
        for (int i = 0; i < pins.size(); i++) {
            Resolution p = pins.get(i);
            double scale = Math.min(p.width() / (double) w, p.height() / (double) h);
            long eff = Math.min((long) (int) (w * scale) * (long) (int) (h * scale), (long) w * h);
            c.add(new Cand(i, eff, (long) p.width() * p.height() - eff));
        }
        Cand best = c.stream()
                .min(Comparator.comparingLong((Cand x) -> -x.effective())
                        .thenComparingLong(Cand::wasted)
                        .thenComparingInt(Cand::index))
                .orElseThrow();
        return pins.get(best.index());
    }

    /** [base] + tiles, normalised with the textbook formula, every pixel placed explicitly. */
    static List<float[]> images(RgbImage img, PreprocessConfig cfg) {
        int s = cfg.imageSize();
        Resolution best = selectBest(img.width(), img.height(), cfg.gridPinpoints());
        double sw = best.width() / (double) img.width();
        double sh = best.height() / (double) img.height();
        int nw = sw < sh ? best.width() : (int) Math.min(Math.ceil(img.width() * sh), best.width());
        int nh = sw < sh ? (int) Math.min(Math.ceil(img.height() * sw), best.height()) : best.height();
        RgbImage resized = PilResample.resize(img, nw, nh, ResampleFilter.BICUBIC);
        int ox = (best.width() - nw) / 2;
        int oy = (best.height() - nh) / 2;
        List<float[]> out = new ArrayList<>();
        out.add(normalise(PilResample.resize(img, s, s, ResampleFilter.BICUBIC), 0, 0, s, s, cfg));
        for (int ty = 0; ty < best.height(); ty += s) {
            for (int tx = 0; tx < best.width(); tx += s) {
                out.add(normalise(resized, tx - ox, ty - oy, nw, nh, cfg));
            }
        }
        return out;
    }

    /** The s x s window at (x0, y0) of an image placed on black, normalised. */
    private static float[] normalise(RgbImage src, int x0, int y0, int w, int h, PreprocessConfig cfg) {
        int s = cfg.imageSize();
        float[] mean = cfg.mean();
        float[] std = cfg.std();
        float[] out = new float[s * s * 3];
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                for (int c = 0; c < 3; c++) {
                    int sx = x0 + x;
                    int sy = y0 + y;
                    int v = sx >= 0 && sy >= 0 && sx < w && sy < h ? src.sample(sx, sy, c) : 0;
                    float scaled = (float) (v * (1 / 255.0));
                    out[(y * s + x) * 3 + c] = (scaled - mean[c]) / std[c];
                }
            }
        }
        return out;
    }

    /** Simulates the spatial_unpad merge; returns {rowStart, keptRows, colStart, keptCols, tokens}. */
    static int[] simulateMerge(int w, int h, List<Resolution> pins, int tile, int side, int maxPatches) {
        Resolution best = selectBest(w, h, pins);
        int cols = best.width() / tile;
        int rows = best.height() / tile;
        int[][] grid = new int[rows * side][cols * side]; // tile index * side^2 + position, + 1
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                for (int i = 0; i < side; i++) {
                    for (int j = 0; j < side; j++) {
                        grid[r * side + i][c * side + j] = (r * cols + c) * side * side + i * side + j + 1;
                    }
                }
            }
        }
        int curH = grid.length;
        int curW = grid[0].length;
        int r0 = 0;
        int r1 = curH;
        int c0 = 0;
        int c1 = curW;
        if ((double) w / h > (double) curW / curH) {
            int newH = (int) (h * ((double) curW / w));
            int p = Math.floorDiv(curH - newH, 2);
            r0 = p;
            r1 = curH - p;
        } else {
            int newW = (int) (w * ((double) curH / h));
            int p = Math.floorDiv(curW - newW, 2);
            c0 = p;
            c1 = curW - p;
        }
        int keptRows = IntStream.range(r0, r1).map(i -> 1).sum();
        int keptCols = IntStream.range(c0, c1).map(i -> 1).sum();
        int outRows = keptRows;
        int outCols = keptCols;
        if (maxPatches > 0) {
            double times = Math.sqrt(keptRows * (double) keptCols / (maxPatches * side * side));
            if (times > 1.1) {
                outRows = (int) AnyresMath.pyFloorDiv(keptRows, times);
                outCols = (int) AnyresMath.pyFloorDiv(keptCols, times);
            }
        }
        List<Integer> sequence = new ArrayList<>();
        for (int i = 0; i < side * side; i++) {
            sequence.add(-1); // base features
        }
        for (int r = 0; r < outRows; r++) {
            for (int c = 0; c < outCols; c++) {
                sequence.add(outRows == keptRows ? grid[r0 + r][c0 + c] : 0);
            }
            sequence.add(-2); // image_newline
        }
        return new int[] {r0, keptRows, c0, keptCols, sequence.size()};
    }
}
