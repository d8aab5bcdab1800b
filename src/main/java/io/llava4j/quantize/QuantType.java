package io.llava4j.quantize;

import io.llava4j.Llava4jException;
import io.llava4j.gguf.GgmlType;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The file types {@code llava4j quantize} writes, as llama.cpp's {@code llama_ftype} names them.
 * Each has a main tensor type for the 2-D weight matrices; the {@code _M} K-quant mixes give some
 * matrices more bits (llama.cpp's {@code llama_tensor_get_type}), and every type falls back to a
 * smaller block size (or F16) for matrices whose rows do not split into whole blocks.
 */
public enum QuantType {
    /** 4.5 bits per weight, 32-value blocks. */
    Q4_0(2, GgmlType.Q4_0),
    /** Q4_K (4.5 bits, 256-value super-blocks), with Q6_K for the output and some V/FFN-down matrices. */
    Q4_K_M(15, GgmlType.Q4_K),
    /** 5.5 bits per weight, 32-value blocks. */
    Q5_0(8, GgmlType.Q5_0),
    /** Q5_K (5.5 bits, 256-value super-blocks), with Q6_K for the output and some V/FFN-down matrices. */
    Q5_K_M(17, GgmlType.Q5_K),
    /** 8.5 bits per weight, 32-value blocks: close to lossless. */
    Q8_0(7, GgmlType.Q8_0),
    /** IEEE half precision. */
    F16(1, GgmlType.F16);

    private final int ftype;
    private final GgmlType mainType;

    QuantType(int ftype, GgmlType mainType) {
        this.ftype = ftype;
        this.mainType = mainType;
    }

    /** llama.cpp's {@code llama_ftype} value (include/llama.h {@code LLAMA_FTYPE_MOSTLY_*}). */
    public int ftype() {
        return ftype;
    }

    /** The tensor type most 2-D weight matrices get. */
    public GgmlType mainType() {
        return mainType;
    }

    /**
     * Parses a type name, ignoring case ({@code q4_k_m}, {@code Q8_0}, {@code f16}).
     *
     * @throws Llava4jException {@code INVALID_ARGUMENT} listing the valid names
     */
    public static QuantType parse(String name) {
        String key = name == null ? "" : name.trim().toUpperCase(Locale.ROOT);
        for (QuantType t : values()) {
            if (t.name().equals(key)) {
                return t;
            }
        }
        throw new Llava4jException(
                Llava4jException.Code.INVALID_ARGUMENT,
                "unknown quantization type '" + name + "'; valid types: " + names());
    }

    /** The valid names, comma-separated, for messages and help. */
    public static String names() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
