package io.llava4j.convert.llava;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.gguf.HalfFloat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Q8_0 encoding and the LLaMA q/k row permutation against hand-computed references. */
class ConvertQ8Test {
    @Test
    void q8BlocksRoundToTheNearestStepHalfAwayFromZero() {
        float[] v = new float[64];
        for (int i = 0; i < 64; i++) {
            v[i] = (float) Math.sin(i * 0.7) * (i < 32 ? 3 : 0.01f);
        }
        v[5] = 3.2f; // block 0 maximum
        ByteBuffer b = TensorEncoding.q8_0(v).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(2 * 34, b.remaining());
        for (int blk = 0; blk < 2; blk++) {
            float d = HalfFloat.toFloat(b.getShort(blk * 34));
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(v[blk * 32 + j]));
            }
            float step = amax / 127f;
            assertEquals(HalfFloat.toFloat(HalfFloat.fromFloat(step)), d);
            for (int j = 0; j < 32; j++) {
                float x = v[blk * 32 + j];
                int q = b.get(blk * 34 + 2 + j);
                assertEquals(Math.round(Math.abs(x) / step) * (int) Math.signum(x), q, "element " + j);
                // |x - q d| <= |x - q step| + |q| |step - d|: rounding x / step (computed as x * (1 / step),
                // two float roundings, |x / step| <= 127) is off by at most 1/2 + 127 * 2^-23, and the
                // stored scale is step rounded to f16. (Evaluated in double: q * d and x - q * d are exact.)
                double bound = step * (0.5 + 127 * 0x1p-23) + Math.abs(q) * Math.abs((double) step - d);
                assertTrue(Math.abs(x - (double) q * d) <= bound, "element " + j + ": " + x + " vs " + q + " * " + d);
            }
        }
        // exact halves round away from zero, as roundf does: amax 127 gives d = 1
        float[] halves = new float[32];
        halves[0] = 127;
        halves[1] = 2.5f;
        halves[2] = -2.5f;
        ByteBuffer h = TensorEncoding.q8_0(halves);
        assertEquals(3, h.get(3));
        assertEquals(-3, h.get(4));
    }

    @Test
    void permuteInterleavesTheRotaryHalvesOfEachHead() {
        // 2 heads of size 4, one column: rows h0 [a0 a1 b0 b1] -> [a0 b0 a1 b1]
        float[] rows = {0, 1, 2, 3, 10, 11, 12, 13};
        assertArrayEquals(new float[] {0, 2, 1, 3, 10, 12, 11, 13}, TensorEncoding.permute(rows, 8, 1, 2));
        assertArrayEquals(
                new float[] {1, 4, 2, 5, 3, 6}, TensorEncoding.transpose(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
    }
}
