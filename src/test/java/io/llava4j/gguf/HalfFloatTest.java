package io.llava4j.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** binary16 / bfloat16 conversions: exhaustive where possible, nearest-even checked by brute force. */
class HalfFloatTest {
    private static short f16(float f) {
        return HalfFloat.fromFloat(f);
    }

    @Test
    void everyNonNanHalfRoundTrips() {
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloat.toFloat((short) h);
            if (Float.isNaN(f)) {
                assertEquals(0x7c00, h & 0x7c00);
                assertTrue(Float.isNaN(HalfFloat.toFloat(f16(f))));
                continue;
            }
            assertEquals(h, f16(f) & 0xffff, "half 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void knownValues() {
        assertEquals(0x3c00, f16(1f));
        assertEquals(0xc000, f16(-2f) & 0xffff);
        assertEquals(0x7bff, f16(65504f));
        assertEquals(0x7bff, f16(65519.99f));
        assertEquals(0x7c00, f16(65520f)); // rounds up to infinity
        assertEquals(0x7c00, f16(1e10f));
        assertEquals(0xfc00, f16(Float.NEGATIVE_INFINITY) & 0xffff);
        assertEquals(0x0001, f16(0x1p-24f)); // smallest subnormal
        assertEquals(0x0000, f16(0x1p-25f)); // tie between 0 and 2^-24: even is 0
        assertEquals(0x0002, f16(0x1.8p-24f)); // 1.5 units: tie, rounds to even 2
        assertEquals(0x0002, f16(0x1.4p-23f)); // 2.5 units: tie, rounds to even 2
        assertEquals(0x0001, f16(0x1.000002p-25f)); // just above the tie
        assertEquals(0x0400, f16(0x1p-14f)); // smallest normal
        assertEquals(0x3c00, f16(1f + 0x1p-11f)); // tie: stays on even 1.0
        assertEquals(0x3c02, f16(1f + 3 * 0x1p-11f)); // tie: goes up to even
        assertEquals(0x8000, f16(-0f) & 0xffff);
        assertEquals(0x3555, f16(1f / 3));
    }

    @Test
    void randomFloatsRoundToTheNearestHalfTiesToEven() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < 200_000; i++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            if (Float.isNaN(f) || Math.abs(f) >= 65520f) {
                continue;
            }
            int h = f16(f) & 0xffff;
            double err = Math.abs((double) HalfFloat.toFloat((short) h) - f);
            for (int d = -1; d <= 1; d += 2) {
                int n = h + d;
                if ((n & 0x7fff) >= 0x7c00 || n < 0 || n > 0xffff) {
                    continue;
                }
                double other = Math.abs((double) HalfFloat.toFloat((short) n) - f);
                assertTrue(
                        err < other || (err == other && (h & 1) == 0),
                        "float " + f + " -> 0x" + Integer.toHexString(h));
            }
        }
    }

    @Test
    void bfloat16MatchesGgmlRounding() {
        assertEquals(0x3f80, HalfFloat.bf16FromFloat(1f));
        assertEquals(0x4049, HalfFloat.bf16FromFloat((float) Math.PI));
        assertEquals(0x3f80, HalfFloat.bf16FromFloat(Float.intBitsToFloat(0x3f80_8000))); // tie: even
        assertEquals(0x3f82, HalfFloat.bf16FromFloat(Float.intBitsToFloat(0x3f81_8000))); // tie: even
        assertEquals(0x7fc0, HalfFloat.bf16FromFloat(Float.NaN) & 0xffff);
        assertEquals(
                0x7fc1,
                HalfFloat.bf16FromFloat(Float.intBitsToFloat(0x7f81_0000)) & 0xffff); // signalling NaN made quiet
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloat.bf16ToFloat((short) h);
            if (!Float.isNaN(f)) {
                assertEquals(h, HalfFloat.bf16FromFloat(f) & 0xffff);
            }
        }
    }
}
