package io.llava4j.vision.reference;

import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufTensorInfo;

/**
 * One HF {@code CLIPEncoderLayer} (or {@code SiglipEncoderLayer}, the same computation): pre-LN self-attention (q, k, v and out projections with biases,
 * {@code softmax(q k^T / sqrt(head_dim)) v}, no mask) and a pre-LN MLP {@code fc2(act(fc1(x)))},
 * each with a residual.
 */
final class ClipBlock {
    private final int width;
    private final int ff;
    private final float[] ln1W;
    private final float[] ln1B;
    private final float[] qW;
    private final float[] qB;
    private final float[] kW;
    private final float[] kB;
    private final float[] vW;
    private final float[] vB;
    private final float[] oW;
    private final float[] oB;
    private final float[] ln2W;
    private final float[] ln2B;
    private final float[] fc1W;
    private final float[] fc1B;
    private final float[] fc2W;
    private final float[] fc2B;

    private ClipBlock(GgufFile f, String p, int width, int ff) {
        this.width = width;
        this.ff = ff;
        ln1W = ClipReference.read(f, p + "ln1.weight", width);
        ln1B = ClipReference.read(f, p + "ln1.bias", width);
        qW = ClipReference.read(f, p + "attn_q.weight", width, width);
        qB = ClipReference.read(f, p + "attn_q.bias", width);
        kW = ClipReference.read(f, p + "attn_k.weight", width, width);
        kB = ClipReference.read(f, p + "attn_k.bias", width);
        vW = ClipReference.read(f, p + "attn_v.weight", width, width);
        vB = ClipReference.read(f, p + "attn_v.bias", width);
        oW = ClipReference.read(f, p + "attn_out.weight", width, width);
        oB = ClipReference.read(f, p + "attn_out.bias", width);
        ln2W = ClipReference.read(f, p + "ln2.weight", width);
        ln2B = ClipReference.read(f, p + "ln2.bias", width);
        // fc1 maps width -> ff (ggml ne [width, ff]); the legacy converter named it ffn_down
        GgufTensorInfo up = f.tensor(p + "ffn_up.weight");
        String fc1 = up.dim(0) == width && up.dim(1) == ff ? "ffn_up" : "ffn_down";
        String fc2 = fc1.equals("ffn_up") ? "ffn_down" : "ffn_up";
        fc1W = ClipReference.read(f, p + fc1 + ".weight", width, ff);
        fc1B = ClipReference.read(f, p + fc1 + ".bias", ff);
        fc2W = ClipReference.read(f, p + fc2 + ".weight", ff, width);
        fc2B = ClipReference.read(f, p + fc2 + ".bias", width);
    }

    static ClipBlock read(GgufFile f, String prefix, int width, int ff) {
        if (ff == width) {
            throw new IllegalArgumentException("feed-forward width equal to the width: fc1/fc2 cannot be told apart");
        }
        return new ClipBlock(f, prefix, width, ff);
    }

    /**
     * The block's output for tokens {@code x[n][width]} (a new array), computed with {@code arith}:
     * exactly, or with ggml's roundings (see {@link Arith}).
     */
    double[][] forward(double[][] x, int heads, double eps, Arith.Act act, Arith arith) {
        int n = x.length;
        double[][] q = new double[n][];
        double[][] k = new double[n][];
        double[][] v = new double[n][];
        for (int t = 0; t < n; t++) {
            double[] h = RefMath.layerNorm(x[t], ln1W, ln1B, eps, arith);
            q[t] = RefMath.linear(qW, qB, h, width, width, arith);
            k[t] = RefMath.linear(kW, kB, h, width, width, arith);
            v[t] = RefMath.linear(vW, vB, h, width, width, arith);
            for (int d = 0; d < width; d++) { // clip.cpp casts K and V to F16 for flash attention
                k[t][d] = arith.half(k[t][d]);
                v[t][d] = arith.half(v[t][d]);
            }
        }
        double[][] attn = arith.attention() == Arith.AttentionPath.ONE_ROW_FP16 && arith.emulatesGgml()
                ? attentionOneRowFp16(q, k, v, heads, arith)
                : attention(q, k, v, heads, arith);
        double[][] out = new double[n][];
        for (int t = 0; t < n; t++) {
            double[] o = RefMath.linear(oW, oB, attn[t], width, width, arith);
            double[] r = new double[width];
            for (int d = 0; d < width; d++) {
                r[d] = arith.f32(x[t][d] + o[d]);
            }
            double[] h = RefMath.linear(fc1W, fc1B, RefMath.layerNorm(r, ln2W, ln2B, eps, arith), width, ff, arith);
            for (int i = 0; i < ff; i++) {
                h[i] = arith.act(act, h[i]);
            }
            double[] m = RefMath.linear(fc2W, fc2B, h, ff, width, arith);
            for (int d = 0; d < width; d++) {
                r[d] = arith.f32(r[d] + m[d]);
            }
            out[t] = r;
        }
        return out;
    }

    /**
     * {@code softmax(q k^T / sqrt(head_dim)) v} per head, with the sums and exponentials as f32
     * results of {@code arith}: the reference, and ggml's tiled flash attention (whose only
     * deliberate rounding, the fp16 K and V, the caller applied).
     */
    private double[][] attention(double[][] q, double[][] k, double[][] v, int heads, Arith arith) {
        int n = q.length;
        int dh = width / heads;
        double scale = 1 / Math.sqrt(dh);
        double[][] attn = new double[n][width];
        double[] s = new double[n];
        for (int hd = 0; hd < heads; hd++) {
            int off = hd * dh;
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    s[j] = arith.f32(dot(q[i], k[j], off, dh, arith) * scale);
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    s[j] = arith.f32(Math.exp(s[j] - max));
                    sum += s[j];
                }
                sum = arith.sum(sum, sum, n);
                for (int d = 0; d < dh; d++) {
                    double acc = 0;
                    double abs = 0;
                    for (int j = 0; j < n; j++) {
                        double t = s[j] * v[j][off + d];
                        acc += t;
                        abs += Math.abs(t);
                    }
                    attn[i][off + d] = arith.f32(arith.sum(acc, abs, n) / sum);
                }
            }
        }
        return attn;
    }

    /**
     * ggml's one-row flash attention with an fp16 accumulator ({@link Arith.AttentionPath#ONE_ROW_FP16}),
     * step by step: keys in order, Q rounded to fp16, the running maximum {@code M} and sum
     * {@code S} in f32, the weighted sum of V rounded to fp16 after every update.
     */
    private double[][] attentionOneRowFp16(double[][] q, double[][] k, double[][] v, int heads, Arith arith) {
        int n = q.length;
        int dh = width / heads;
        double scale = arith.f32(1 / Math.sqrt(dh));
        double[][] attn = new double[n][width];
        double[] q16 = new double[width];
        double[] acc = new double[dh];
        for (int hd = 0; hd < heads; hd++) {
            int off = hd * dh;
            for (int i = 0; i < n; i++) {
                for (int d = 0; d < dh; d++) {
                    q16[off + d] = arith.half(q[i][off + d]);
                }
                java.util.Arrays.fill(acc, 0);
                double max = Double.NEGATIVE_INFINITY;
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    double s = arith.f32(dot(q16, k[j], off, dh, arith) * scale);
                    double ms = 1;
                    double vs = 1;
                    if (s > max) {
                        ms = arith.f32(Math.exp(max - s));
                        max = s;
                        for (int d = 0; d < dh; d++) {
                            acc[d] = arith.half(acc[d] * ms);
                        }
                    } else {
                        vs = arith.f32(Math.exp(s - max));
                    }
                    for (int d = 0; d < dh; d++) {
                        acc[d] = arith.half(acc[d] + v[j][off + d] * vs);
                    }
                    sum = arith.f32(sum * ms + vs);
                }
                for (int d = 0; d < dh; d++) {
                    attn[i][off + d] = arith.f32(acc[d] / sum);
                }
            }
        }
        return attn;
    }

    private static double dot(double[] a, double[] b, int off, int n, Arith arith) {
        double s = 0;
        double abs = 0;
        for (int d = off; d < off + n; d++) {
            double t = a[d] * b[d];
            s += t;
            abs += Math.abs(t);
        }
        return arith.sum(s, abs, n);
    }
}
