package io.llava4j.convert.llava;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.gguf.GgmlType;
import java.util.Locale;

/**
 * {@code --outtype}: the type of the converted weight matrices. {@code f32}, {@code f16} and
 * {@code q8_0} are written directly; the k-quants go through f16 and llama.cpp's quantizer.
 * Vectors (norms, biases) always stay f32, as convert_hf_to_gguf keeps them.
 */
public enum OutType {
    F32(GgmlType.F32, 0),
    F16(GgmlType.F16, 1),
    Q8_0(GgmlType.Q8_0, 7),
    Q5_K_M(null, 17),
    Q4_K_M(null, 15);

    private final GgmlType direct;
    private final int fileType;

    OutType(GgmlType direct, int fileType) {
        this.direct = direct;
        this.fileType = fileType;
    }

    /** The type matrices are written in by the converter itself, or null for a k-quant. */
    public GgmlType direct() {
        return direct;
    }

    /** {@code general.file_type} ({@code llama_ftype}). */
    public int fileType() {
        return fileType;
    }

    /** The lower-case name used on the command line and in file names ({@code q8_0}). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code f32}, {@code f16}, {@code q8_0}, {@code q5_k_m} or {@code q4_k_m} (any case).
     *
     * @throws Llava4jException (INVALID_ARGUMENT) for anything else
     */
    public static OutType parse(String s) {
        for (OutType t : values()) {
            if (t.label().equalsIgnoreCase(s)) {
                return t;
            }
        }
        throw new Llava4jException(
                Code.INVALID_ARGUMENT, "unknown outtype '" + s + "': f32, f16, q8_0, q5_k_m or q4_k_m");
    }
}
