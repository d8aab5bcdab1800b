package io.llava4j.convert.llava;

import io.llava4j.convert.checkpoint.CheckpointTensor;
import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufTensorOutput;
import io.llava4j.gguf.GgufWriter;
import io.llava4j.gguf.HalfFloat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Turns one checkpoint tensor into GGUF tensor data: optional transpose (Paddle's {@code [in, out]}
 * Linear weights), optional rotary head permutation, then f32, f16 or q8_0 encoding. A tensor
 * without a transform streams from disk in chunks of whole rows; one with a transform is read
 * whole (the largest such tensor bounds the memory used).
 */
final class TensorEncoding {
    /** Elements per streamed chunk (rounded to whole rows). */
    private static final int CHUNK = 1 << 20;

    private TensorEncoding() {}

    /**
     * A tensor source for {@link GgufWriter#addTensor(String, GgmlType, long[], GgufWriter.TensorSource)}.
     *
     * @param src the checkpoint tensor, 1-D or 2-D (or a 4-D conv kernel, never transformed)
     * @param transpose whether {@code src} is stored {@code [in, out]} and must be transposed
     * @param permuteHeads if positive, apply {@link #permute} with this many heads (after transposing)
     * @param type F32, F16 or Q8_0
     */
    static GgufWriter.TensorSource source(CheckpointTensor src, boolean transpose, int permuteHeads, GgmlType type) {
        long[] shape = src.shape();
        return out -> {
            if (!transpose && permuteHeads <= 0) {
                long rowLen = shape.length == 0 ? 1 : shape[shape.length - 1];
                long rowsPerChunk = Math.max(1, CHUNK / rowLen);
                long total = src.elementCount();
                for (long first = 0; first < total; first += rowsPerChunk * rowLen) {
                    int n = (int) Math.min(rowsPerChunk * rowLen, total - first);
                    float[] buf = new float[n];
                    src.readFloats(first, buf, 0, n);
                    encode(out, buf, type);
                }
                return;
            }
            float[] v = src.readAllFloats();
            int rows = (int) shape[0];
            int cols = shape.length > 1 ? (int) shape[1] : 1;
            if (transpose) {
                v = transpose(v, rows, cols);
                int t = rows;
                rows = cols;
                cols = t;
            }
            if (permuteHeads > 0) {
                v = permute(v, rows, cols, permuteHeads);
            }
            encode(out, v, type);
        };
    }

    private static void encode(GgufTensorOutput out, float[] v, GgmlType type) throws IOException {
        if (type == GgmlType.Q8_0) {
            out.writeBytes(q8_0(v));
        } else {
            out.writeFloats(v);
        }
    }

    /** {@code v} ({@code rows x cols}, row-major) transposed. */
    static float[] transpose(float[] v, int rows, int cols) {
        float[] t = new float[v.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = v[r * cols + c];
            }
        }
        return t;
    }

    /**
     * Reorders the rows of a q or k projection from HF's rotate-half layout to the interleaved
     * pairs llama.cpp's LLaMA rope expects: {@code LlamaModel.permute} in convert_hf_to_gguf,
     * {@code w.reshape(n_head, 2, rows / n_head / 2, cols).swapaxes(1, 2).reshape(w.shape)}.
     */
    static float[] permute(float[] v, int rows, int cols, int nHead) {
        int headDim = rows / nHead;
        int half = headDim / 2;
        float[] out = new float[v.length];
        for (int h = 0; h < nHead; h++) {
            for (int two = 0; two < 2; two++) {
                for (int i = 0; i < half; i++) {
                    int from = h * headDim + two * half + i;
                    int to = h * headDim + 2 * i + two;
                    System.arraycopy(v, from * cols, out, to * cols, cols);
                }
            }
        }
        return out;
    }

    /**
     * Q8_0 blocks of 32 values: an f16 scale {@code d = max|x| / 127} and 32 int8 {@code round(x / d)}
     * (rounding half away from zero), as {@code quantize_row_q8_0_ref} in ggml-quants.c.
     */
    static ByteBuffer q8_0(float[] v) {
        if (v.length % 32 != 0) {
            throw new IllegalArgumentException("q8_0 needs a multiple of 32 values, got " + v.length);
        }
        ByteBuffer b = ByteBuffer.allocate(v.length / 32 * 34).order(ByteOrder.LITTLE_ENDIAN);
        for (int blk = 0; blk < v.length; blk += 32) {
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(v[blk + j]));
            }
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            b.putShort(HalfFloat.fromFloat(d));
            for (int j = 0; j < 32; j++) {
                float x = v[blk + j] * id;
                b.put((byte) (Math.signum(x) * Math.floor(Math.abs((double) x) + 0.5)));
            }
        }
        return b.flip();
    }
}
