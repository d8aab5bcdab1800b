package io.llava4j.convert.checkpoint;

import java.util.Locale;

/**
 * Element types of checkpoint tensors, by their safetensors names ({@code "F16"}, {@code "BF16"},
 * ...). Only the float types can be converted ({@link #isFloat()}); the others are recognised so
 * that a checkpoint holding, say, an {@code I64} {@code position_ids} buffer can still be opened,
 * and refused only if such a tensor is actually needed.
 */
public enum DType {
    F64(8, true),
    F32(4, true),
    F16(2, true),
    BF16(2, true),
    I64(8, false),
    I32(4, false),
    I16(2, false),
    I8(1, false),
    U64(8, false),
    U32(4, false),
    U16(2, false),
    U8(1, false),
    BOOL(1, false),
    F8_E4M3(1, false),
    F8_E5M2(1, false);

    private final int size;
    private final boolean isFloat;

    DType(int size, boolean isFloat) {
        this.size = size;
        this.isFloat = isFloat;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** Whether llava4j can read the values as floats (F64, F32, F16, BF16). */
    public boolean isFloat() {
        return isFloat;
    }

    /** The type with safetensors name {@code name} (case-insensitive), or null. */
    public static DType fromSafetensors(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
