package io.llava4j.gguf;

/**
 * Conversions between {@code float} and the two 16-bit float formats of ggml (Java 17 has no
 * {@code Float.floatToFloat16}).
 *
 * <p>IEEE binary16 ({@link GgmlType#F16}): round to nearest, ties to even, like the F16C
 * instruction {@code ggml_compute_fp32_to_fp16} uses on x86 and like numpy's
 * {@code astype(float16)} that the Python converters use; overflow gives infinity, NaN stays NaN.
 * bfloat16 ({@link GgmlType#BF16}): the rounding of {@code ggml_compute_fp32_to_bf16} in
 * {@code ggml-impl.h} (round to nearest even on the top 16 bits, NaN forced quiet).
 */
public final class HalfFloat {
    private HalfFloat() {}

    /** The binary16 nearest to {@code f} (ties to even), as raw bits. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fff_ffff;
        if (abs >= 0x7f80_0000) { // infinity or NaN (keep NaN a quiet NaN with the top payload bits)
            return (short) (sign | 0x7c00 | (abs > 0x7f80_0000 ? 0x200 | ((abs >>> 13) & 0x3ff) : 0));
        }
        int exp = abs >>> 23; // biased float exponent
        if (exp >= 127 + 16) { // |f| >= 65536: beyond the largest finite half even after rounding
            return (short) (sign | 0x7c00);
        }
        if (exp < 127 - 14) { // below the smallest normal half (2^-14): subnormal or zero
            if (exp < 102) { // |f| < 2^-25 rounds to zero
                return (short) sign;
            }
            int m = (abs & 0x7f_ffff) | 0x80_0000;
            int shift = 126 - exp; // 14..24: value in units of 2^-24
            int h = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int half = 1 << (shift - 1);
            if (rem > half || (rem == half && (h & 1) != 0)) {
                h++; // may carry into the exponent: 0x400 is the smallest normal, which is correct
            }
            return (short) (sign | h);
        }
        int h = ((exp - 127 + 15) << 10) | ((abs >>> 13) & 0x3ff);
        int rem = abs & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) {
            h++; // a carry out of the mantissa bumps the exponent; 0x7bff + 1 = infinity, as it should
        }
        return (short) (sign | h);
    }

    /** The float value of binary16 bits {@code h} (exact). */
    public static float toFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int m = bits & 0x3ff;
        if (exp == 0) {
            float v = m * 0x1p-24f; // zero or subnormal: exact
            return sign != 0 ? -v : v;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f80_0000 | (m << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (m << 13));
    }

    /** The bfloat16 of {@code f} with ggml's rounding, as raw bits. */
    public static short bf16FromFloat(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fff_ffff) > 0x7f80_0000) { // NaN: force quiet
            return (short) ((u >>> 16) | 64);
        }
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    /** The float value of bfloat16 bits {@code h} (exact). */
    public static float bf16ToFloat(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }
}
