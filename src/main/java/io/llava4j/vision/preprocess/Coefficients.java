package io.llava4j.vision.preprocess;

/**
 * The per-output-pixel filter windows of one axis: Pillow's {@code precompute_coeffs} (double
 * weights, normalised) and {@code normalize_coeffs_8bpc} (22-bit fixed point), in Resample.c.
 */
final class Coefficients {
    final int ksize;
    /** Pairs (first source index, count) per output pixel. */
    final int[] bounds;
    /** {@code outSize * ksize} normalised double weights; unused tail entries are 0. */
    final double[] kk;

    private Coefficients(int ksize, int[] bounds, double[] kk) {
        this.ksize = ksize;
        this.bounds = bounds;
        this.kk = kk;
    }

    /** {@code precompute_coeffs(inSize, in0, in1, outSize, filterp, ...)}. */
    static Coefficients precompute(int inSize, float in0, float in1, int outSize, ResampleFilter filter) {
        // (double)(in1 - in0): the subtraction happens in float, as in C
        double scale = (double) (in1 - in0) / outSize;
        double filterscale = scale < 1.0 ? 1.0 : scale;
        double support = filter.support() * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        double[] kk = new double[Math.multiplyExact(outSize, ksize)];
        int[] bounds = new int[outSize * 2];
        for (int xx = 0; xx < outSize; xx++) {
            double center = in0 + (xx + 0.5) * scale;
            double ww = 0.0;
            double ss = 1.0 / filterscale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) {
                xmin = 0;
            }
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) {
                xmax = inSize;
            }
            xmax -= xmin;
            int k = xx * ksize;
            for (int x = 0; x < xmax; x++) {
                double w = filter.weight((x + xmin - center + 0.5) * ss);
                kk[k + x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++) {
                if (ww != 0.0) {
                    kk[k + x] /= ww;
                }
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return new Coefficients(ksize, bounds, kk);
    }

    /** {@code normalize_coeffs_8bpc}: {@code (int)(+-0.5 + w * (1 << PRECISION_BITS))}. */
    int[] fixedPoint() {
        int[] out = new int[kk.length];
        double one = 1 << PilResample.PRECISION_BITS;
        for (int i = 0; i < kk.length; i++) {
            out[i] = kk[i] < 0 ? (int) (-0.5 + kk[i] * one) : (int) (0.5 + kk[i] * one);
        }
        return out;
    }
}
