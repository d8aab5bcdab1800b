package io.llava4j.vision.reference;

import java.util.SplittableRandom;

/**
 * How {@link ClipReference} rounds: exactly (double precision, the PyTorch model), or with the
 * roundings ggml-cpu performs on purpose, optionally plus random f32-sized errors for the error
 * analysis of {@code ClipGraphFidelityTest}.
 *
 * <p>The roundings ggml-cpu does on purpose in a LLaVA CLIP/SigLIP graph (pinned llama.cpp,
 * {@code ggml/src/ggml-cpu}), each emulated here to the bit on top of double arithmetic:
 * <ul>
 *   <li>{@code ggml_conv_2d} builds an F16 im2col: pixels are rounded to fp16 ({@link #pixel}).
 *   <li>{@code ggml_gelu} and {@code ggml_gelu_quick} on f32 read 65536-entry fp16 tables
 *       ({@code GGML_GELU_FP16}, {@code GGML_GELU_QUICK_FP16} in {@code vec.h}): the input is
 *       rounded to fp16, the output is the fp16 rounding of the function there; {@code ggml_gelu}
 *       passes {@code x >= 10} through and returns 0 for {@code x <= -10} ({@link #act}).
 *   <li>{@code ggml_gelu_erf} (the projector, native/patches/0003) is evaluated in f32: no rounding
 *       beyond f32's.
 *   <li>Flash attention ({@code clip.cpp build_attn} casts K and V to F16) takes one of two paths
 *       ({@code ops.cpp ggml_compute_forward_flash_attn_ext_f16}), see {@link AttentionPath}.
 * </ul>
 *
 * <p>What ggml does in f32 (every matrix product, sum, norm, exp) is done here in double. With
 * {@link #withF32Errors(long)}, each such result also gets a random error of the size an f32
 * implementation may make there, whatever its summation order and instruction set: for a sum of
 * {@code n} terms (u = 2^-24), uniform in {@code ±min(n, 4 sqrt(n)) u sum|terms|}: the deterministic
 * bound {@code gamma_n ~ n u} of any summation order, or, where smaller, the probabilistic bound
 * {@code lambda sqrt(n) u sum|terms|} of Higham and Mary ("A new approach to probabilistic rounding
 * error analysis", SIAM J. Sci. Comput. 41, 2019), which holds with probability at least {@code 1 -
 * 2 exp(-lambda^2 / 2)} (0.9993 for lambda = 4); and {@code ±4u} relative for an elementwise f32
 * function (expf, erff, divisions: glibc's and ggml's SIMD versions are within a few ulps). Runs with
 * such errors show how far a correct f32 implementation of the same graph may land from the
 * emulated reference, fp16 roundings flipped by those errors included: that spread, not one
 * machine's measurement, sets the test's tolerance (a Monte Carlo error analysis in the sense of
 * Parker's "Monte Carlo Arithmetic", 1997).
 */
public final class Arith {
    /** f32's unit roundoff. */
    static final double U32 = 0x1p-24;

    /**
     * The two ways {@code ggml_compute_forward_flash_attn_ext_f16} evaluates attention with F16 K/V
     * and many queries. It takes {@link #TILED} when the head size is a multiple of the f32 vector
     * width {@code GGML_F32_EPR} (16 with AVX-512, 8 with AVX/AVX2, 4 with SSE/NEON) and {@link
     * #ONE_ROW_FP16} otherwise; the same model can therefore take different paths on different CPUs.
     */
    public enum AttentionPath {
        /**
         * {@code ggml_compute_forward_flash_attn_ext_tiled}: K and V tiles converted from fp16 to
         * f32, Q kept in f32, scores, softmax and the weighted sum of V in f32.
         */
        TILED,
        /**
         * {@code ggml_compute_forward_flash_attn_ext_f16_one_chunk}: Q rounded to fp16 for the dot
         * product with fp16 K; online softmax over the keys in order, the weighted sum of V kept in
         * an fp16 accumulator: {@code acc = fp16(acc * exp(M_old - M))} when a new maximum M
         * appears, then {@code acc = fp16(acc + v * exp(s - M))}, divided by the f32 sum at the end.
         */
        ONE_ROW_FP16;

        /** The path ggml-cpu takes for a head size, given its f32 vector width (0 = no SIMD). */
        public static AttentionPath forHeadSize(int headSize, int f32VectorWidth) {
            return f32VectorWidth == 0 || headSize % f32VectorWidth == 0 ? TILED : ONE_ROW_FP16;
        }
    }

    /** The activation functions of the graph. */
    enum Act {
        /** CLIP's {@code quick_gelu}: {@code ggml_gelu_quick}, fp16 table. */
        QUICK_GELU,
        /** SigLIP's {@code gelu_pytorch_tanh}: {@code ggml_gelu}, fp16 table. */
        GELU_TANH,
        /** The projector's exact GELU: {@code ggml_gelu_erf} in f32. */
        GELU_ERF
    }

    private final boolean ggml;
    private final AttentionPath attention;
    private final SplittableRandom errors;
    private final Act projectorAct;

    private Arith(boolean ggml, AttentionPath attention, SplittableRandom errors, Act projectorAct) {
        this.ggml = ggml;
        this.attention = attention;
        this.errors = errors;
        this.projectorAct = projectorAct;
    }

    /** Double precision throughout: the reference model as PyTorch defines it. */
    public static Arith exact() {
        return new Arith(false, AttentionPath.TILED, null, Act.GELU_ERF);
    }

    /** ggml-cpu's deliberate roundings, with attention evaluated along {@code path}. */
    public static Arith ggml(AttentionPath path) {
        return new Arith(true, path, null, Act.GELU_ERF);
    }

    /** The same roundings plus random f32-sized errors (see the class comment), from {@code seed}. */
    public Arith withF32Errors(long seed) {
        return new Arith(ggml, attention, new SplittableRandom(seed), projectorAct);
    }

    /**
     * The projector as the graph computed it before native/patches/0003: {@code ggml_gelu}, the tanh
     * approximation through the fp16 table, instead of the exact GELU.
     */
    public Arith withTanhProjector() {
        return new Arith(ggml, attention, errors, Act.GELU_TANH);
    }

    /** The projector's activation. */
    Act projectorAct() {
        return projectorAct;
    }

    boolean emulatesGgml() {
        return ggml;
    }

    AttentionPath attention() {
        return attention;
    }

    /** An input pixel as the convolution reads it. */
    double pixel(double v) {
        return ggml ? fp16(v) : v;
    }

    /** A value ggml stores in an F16 tensor (the flash-attention casts of K and V, fp16 Q). */
    double half(double v) {
        return ggml ? fp16(v) : v;
    }

    /**
     * The f32 result of a sum of {@code n} terms whose absolute values add up to {@code abs}: with
     * f32 errors, off by up to {@code min(n, 4 sqrt(n)) u abs} (see the class comment).
     */
    double sum(double value, double abs, int n) {
        return errors == null
                ? value
                : value + (2 * errors.nextDouble() - 1) * Math.min(n, 4 * Math.sqrt(n)) * U32 * abs;
    }

    /** The f32 result of an elementwise function (exp, erf, a division): a few ulps. */
    double f32(double value) {
        return errors == null ? value : value * (1 + (2 * errors.nextDouble() - 1) * 4 * U32);
    }

    /** An activation, through ggml's fp16 tables where ggml uses them. */
    double act(Act kind, double x) {
        switch (kind) {
            case GELU_ERF:
                return f32(RefMath.gelu(x));
            case GELU_TANH:
                if (!ggml) {
                    return RefMath.geluTanh(x);
                }
                if (x <= -10) {
                    return 0;
                }
                return x >= 10 ? x : fp16(RefMath.geluTanh(fp16(x)));
            case QUICK_GELU:
                return ggml ? fp16(RefMath.quickGelu(fp16(x))) : RefMath.quickGelu(x);
            default:
                throw new IllegalArgumentException(kind.toString());
        }
    }

    @Override
    public String toString() {
        return (ggml
                        ? "ggml roundings, "
                                + attention
                                        .name()
                                        .toLowerCase(java.util.Locale.ROOT)
                                        .replace('_', ' ') + " attention"
                        : "exact")
                + (errors != null ? ", with f32 errors" : "");
    }

    /**
     * IEEE binary16 round-to-nearest-even of a double, computed exactly (no intermediate float):
     * subnormals below 2^-14, infinity above 65504 rounded.
     */
    static double fp16(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v) || v == 0) {
            return v;
        }
        int e = Math.max(Math.getExponent(v), -14);
        double ulp = Math.scalb(1.0, e - 10);
        double r = Math.rint(v / ulp) * ulp;
        return Math.abs(r) > 65504 ? Math.copySign(Double.POSITIVE_INFINITY, v) : r;
    }
}
