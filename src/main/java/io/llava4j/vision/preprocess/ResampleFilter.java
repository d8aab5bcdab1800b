package io.llava4j.vision.preprocess;

/**
 * Pillow's convolution filters ({@code libImaging/Resample.c}: {@code box_filter},
 * {@code bilinear_filter}, {@code hamming_filter}, {@code bicubic_filter} with a = -0.5,
 * {@code lanczos_filter}) with their supports. NEAREST is not a convolution in Pillow (it is an
 * affine transform) and is not offered.
 */
public enum ResampleFilter {
    /** {@code Image.BOX} (4): support 0.5. */
    BOX(4, 0.5),
    /** {@code Image.BILINEAR} (2): triangle, support 1. */
    BILINEAR(2, 1.0),
    /** {@code Image.HAMMING} (5): Hamming-windowed sinc, support 1. */
    HAMMING(5, 1.0),
    /** {@code Image.BICUBIC} (3): Keys cubic with a = -0.5, support 2; CLIP/SigLIP {@code resample=3}. */
    BICUBIC(3, 2.0),
    /** {@code Image.LANCZOS} (1): 3-lobe Lanczos, support 3. */
    LANCZOS(1, 3.0);

    private final int pilCode;
    private final double support;

    ResampleFilter(int pilCode, double support) {
        this.pilCode = pilCode;
        this.support = support;
    }

    /** The integer Pillow and HF preprocessor configs use ({@code "resample": 3}). */
    public int pilCode() {
        return pilCode;
    }

    /** The filter radius at scale 1. */
    public double support() {
        return support;
    }

    /**
     * The filter for a Pillow resample code.
     *
     * @throws IllegalArgumentException for 0 (NEAREST) and unknown codes
     */
    public static ResampleFilter fromPilCode(int code) {
        for (ResampleFilter f : values()) {
            if (f.pilCode == code) {
                return f;
            }
        }
        throw new IllegalArgumentException("unsupported Pillow resample code " + code
                + " (1 LANCZOS, 2 BILINEAR, 3 BICUBIC, 4 BOX, 5 HAMMING; NEAREST is not supported)");
    }

    /** The filter kernel at {@code x}, evaluated with the same double operations as Resample.c. */
    double weight(double x) {
        switch (this) {
            case BOX:
                return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
            case BILINEAR:
                if (x < 0.0) {
                    x = -x;
                }
                return x < 1.0 ? 1.0 - x : 0.0;
            case HAMMING:
                if (x < 0.0) {
                    x = -x;
                }
                if (x == 0.0) {
                    return 1.0;
                }
                if (x >= 1.0) {
                    return 0.0;
                }
                x = x * Math.PI;
                return Math.sin(x) / x * (0.54 + 0.46 * Math.cos(x));
            case BICUBIC: {
                final double a = -0.5;
                if (x < 0.0) {
                    x = -x;
                }
                if (x < 1.0) {
                    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                }
                if (x < 2.0) {
                    return (((x - 5) * x + 8) * x - 4) * a;
                }
                return 0.0;
            }
            case LANCZOS:
                return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
            default:
                throw new AssertionError(this);
        }
    }

    private static double sinc(double x) {
        if (x == 0.0) {
            return 1.0;
        }
        x = x * Math.PI;
        return Math.sin(x) / x;
    }
}
