package io.llava4j.vision.reference;

import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufTensorInfo;
import java.util.function.DoubleUnaryOperator;

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

    /** The block's output for tokens {@code x[n][width]} (a new array). */
    double[][] forward(double[][] x, int heads, double eps, DoubleUnaryOperator act) {
        int n = x.length;
        int dh = width / heads;
        double scale = 1 / Math.sqrt(dh);
        double[][] q = new double[n][];
        double[][] k = new double[n][];
        double[][] v = new double[n][];
        for (int t = 0; t < n; t++) {
            double[] h = RefMath.layerNorm(x[t], ln1W, ln1B, eps);
            q[t] = RefMath.linear(qW, qB, h, width, width);
            k[t] = RefMath.linear(kW, kB, h, width, width);
            v[t] = RefMath.linear(vW, vB, h, width, width);
        }
        double[][] attn = new double[n][width];
        double[] s = new double[n];
        for (int hd = 0; hd < heads; hd++) {
            int off = hd * dh;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double dot = 0;
                    for (int d = 0; d < dh; d++) {
                        dot += q[i][off + d] * k[j][off + d];
                    }
                    s[j] = dot * scale;
                }
                RefMath.softmax(s);
                for (int j = 0; j < n; j++) {
                    double p = s[j];
                    for (int d = 0; d < dh; d++) {
                        attn[i][off + d] += p * v[j][off + d];
                    }
                }
            }
        }
        double[][] out = new double[n][];
        for (int t = 0; t < n; t++) {
            double[] o = RefMath.linear(oW, oB, attn[t], width, width);
            double[] r = new double[width];
            for (int d = 0; d < width; d++) {
                r[d] = x[t][d] + o[d];
            }
            double[] h = RefMath.linear(fc1W, fc1B, RefMath.layerNorm(r, ln2W, ln2B, eps), width, ff);
            for (int i = 0; i < ff; i++) {
                h[i] = act.applyAsDouble(h[i]);
            }
            double[] m = RefMath.linear(fc2W, fc2B, h, ff, width);
            for (int d = 0; d < width; d++) {
                r[d] += m[d];
            }
            out[t] = r;
        }
        return out;
    }
}
