package io.llava4j.vision.reference;

/**
 * The few numeric kernels of {@link ClipReference}, written for clarity, in double precision, with
 * PyTorch's definitions (no lookup tables, no approximations beyond double rounding).
 */
final class RefMath {
    private static final double SQRT_PI = Math.sqrt(Math.PI);

    private RefMath() {}

    /**
     * {@code nn.Linear}: {@code y[o] = b[o] + sum_i w[o][i] x[i]}. The weight is in GGUF/ggml order
     * {@code ne = [in, out]}, which is PyTorch's row-major {@code [out, in]}.
     *
     * @param b bias of length {@code out}, or null
     * @param arith the arithmetic of each output's sum (see {@link Arith#sum})
     */
    static double[] linear(float[] w, float[] b, double[] x, int in, int out, Arith arith) {
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = b == null ? 0 : b[o];
            double abs = Math.abs(s);
            int row = o * in;
            for (int i = 0; i < in; i++) {
                double t = w[row + i] * x[i];
                s += t;
                abs += Math.abs(t);
            }
            y[o] = arith.sum(s, abs, in + 1);
        }
        return y;
    }

    /**
     * {@code nn.LayerNorm} over the last dimension: biased variance, {@code eps} inside the root;
     * each output an f32 result of {@code arith}.
     */
    static double[] layerNorm(double[] x, float[] w, float[] b, double eps, Arith arith) {
        int n = x.length;
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= n;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= n;
        double inv = 1 / Math.sqrt(var + eps);
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = arith.f32((x[i] - mean) * inv * w[i] + b[i]);
        }
        return y;
    }

    /** HF {@code quick_gelu} (CLIP's {@code hidden_act}): {@code x * sigmoid(1.702 x)}. */
    static double quickGelu(double x) {
        return x / (1 + Math.exp(-1.702 * x));
    }

    /** PyTorch {@code nn.GELU()} (approximate="none"): {@code x/2 * (1 + erf(x / sqrt 2))}. */
    static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    /**
     * PyTorch {@code gelu(approximate="tanh")} (SigLIP's {@code gelu_pytorch_tanh}):
     * {@code x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}.
     */
    static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /**
     * The error function to about 1e-14: Maclaurin series below 2.5, Laplace's continued fraction
     * for erfc above (A&amp;S 7.1.14), evaluated from its tail.
     */
    static double erf(double x) {
        double a = Math.abs(x);
        double r;
        if (a < 2.5) {
            double sum = 0;
            double term = a; // (-1)^n a^(2n+1) / n!
            for (int n = 0; n < 80 && Math.abs(term) > 1e-20; n++) {
                sum += term / (2 * n + 1);
                term *= -a * a / (n + 1);
            }
            r = 2 / SQRT_PI * sum;
        } else {
            double f = a;
            for (int k = 120; k >= 1; k--) {
                f = a + (k / 2.0) / f;
            }
            r = 1 - Math.exp(-a * a) / (SQRT_PI * f);
        }
        return Math.copySign(r, x);
    }
}
