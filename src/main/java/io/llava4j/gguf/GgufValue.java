package io.llava4j.gguf;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One immutable GGUF metadata value: a scalar of one {@link GgufValueType} or an array of one
 * element type.
 *
 * <p>Java representation: scalar integers of every width are held as a {@code long} (a
 * {@link GgufValueType#UINT64} as its raw 64 bits), FLOAT32 as {@code float}, FLOAT64 as
 * {@code double}. Arrays keep the file's width: UINT8/INT8 in a {@code byte[]}, UINT16/INT16 in a
 * {@code short[]}, UINT32/INT32 in an {@code int[]}, UINT64/INT64 in a {@code long[]} (unsigned
 * values as raw bits), FLOAT32/FLOAT64 in {@code float[]}/{@code double[]}, BOOL in
 * {@code boolean[]}. A STRING array keeps its elements as the file encodes them, the UTF-8 bytes of
 * all elements in one array, and makes a {@code String} only when an element is read: the
 * vocabulary and merges of a Qwen2 model (some 150,000 strings each) take about 4 MB of heap that
 * way, against some 20 MB as {@code String} objects. Factories copy their array arguments and
 * accessors never expose internal arrays, so a value can be shared between threads freely.
 */
public final class GgufValue {
    private final GgufValueType type;
    private final GgufValueType elementType;
    private final Object value;

    /** Takes ownership of {@code value}: callers pass fresh arrays only. */
    GgufValue(GgufValueType type, GgufValueType elementType, Object value) {
        this.type = type;
        this.elementType = elementType;
        this.value = value;
    }

    private static GgufValue scalar(GgufValueType t, Object v) {
        return new GgufValue(t, null, v);
    }

    private static GgufValue array(GgufValueType elementType, Object array) {
        return new GgufValue(GgufValueType.ARRAY, elementType, array);
    }

    private static long checkRange(GgufValueType t, long v, long min, long max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(v + " is out of range for " + t + " [" + min + ", " + max + "]");
        }
        return v;
    }

    public static GgufValue uint8(int v) {
        return scalar(GgufValueType.UINT8, checkRange(GgufValueType.UINT8, v, 0, 0xFF));
    }

    public static GgufValue int8(int v) {
        return scalar(GgufValueType.INT8, checkRange(GgufValueType.INT8, v, Byte.MIN_VALUE, Byte.MAX_VALUE));
    }

    public static GgufValue uint16(int v) {
        return scalar(GgufValueType.UINT16, checkRange(GgufValueType.UINT16, v, 0, 0xFFFF));
    }

    public static GgufValue int16(int v) {
        return scalar(GgufValueType.INT16, checkRange(GgufValueType.INT16, v, Short.MIN_VALUE, Short.MAX_VALUE));
    }

    public static GgufValue uint32(long v) {
        return scalar(GgufValueType.UINT32, checkRange(GgufValueType.UINT32, v, 0, 0xFFFF_FFFFL));
    }

    public static GgufValue int32(int v) {
        return scalar(GgufValueType.INT32, (long) v);
    }

    /** A UINT64 given as its raw 64 bits (values above {@code Long.MAX_VALUE} are negative longs). */
    public static GgufValue uint64(long rawBits) {
        return scalar(GgufValueType.UINT64, rawBits);
    }

    public static GgufValue int64(long v) {
        return scalar(GgufValueType.INT64, v);
    }

    public static GgufValue float32(float v) {
        return scalar(GgufValueType.FLOAT32, v);
    }

    public static GgufValue float64(double v) {
        return scalar(GgufValueType.FLOAT64, v);
    }

    public static GgufValue bool(boolean v) {
        return scalar(GgufValueType.BOOL, v);
    }

    /** @throws IllegalArgumentException if {@code v} has an unpaired surrogate (it has no UTF-8 form) */
    public static GgufValue string(String v) {
        return scalar(GgufValueType.STRING, requireWellFormed(Objects.requireNonNull(v, "string value")));
    }

    public static GgufValue uint8Array(byte... v) {
        return array(GgufValueType.UINT8, v.clone());
    }

    public static GgufValue int8Array(byte... v) {
        return array(GgufValueType.INT8, v.clone());
    }

    public static GgufValue uint16Array(short... v) {
        return array(GgufValueType.UINT16, v.clone());
    }

    public static GgufValue int16Array(short... v) {
        return array(GgufValueType.INT16, v.clone());
    }

    /** UINT32 elements given as raw 32 bits each. */
    public static GgufValue uint32Array(int... v) {
        return array(GgufValueType.UINT32, v.clone());
    }

    public static GgufValue int32Array(int... v) {
        return array(GgufValueType.INT32, v.clone());
    }

    /** UINT64 elements given as raw 64 bits each. */
    public static GgufValue uint64Array(long... v) {
        return array(GgufValueType.UINT64, v.clone());
    }

    public static GgufValue int64Array(long... v) {
        return array(GgufValueType.INT64, v.clone());
    }

    public static GgufValue float32Array(float... v) {
        return array(GgufValueType.FLOAT32, v.clone());
    }

    public static GgufValue float64Array(double... v) {
        return array(GgufValueType.FLOAT64, v.clone());
    }

    public static GgufValue boolArray(boolean... v) {
        return array(GgufValueType.BOOL, v.clone());
    }

    /**
     * @throws NullPointerException if the list or an element is null
     * @throws IllegalArgumentException if an element has an unpaired surrogate
     */
    public static GgufValue stringArray(List<String> v) {
        String[] a = v.toArray(new String[0]);
        for (String s : a) {
            requireWellFormed(Objects.requireNonNull(s, "string array element"));
        }
        return array(GgufValueType.STRING, PackedStrings.encode(a));
    }

    /**
     * Returns {@code s} if it is well-formed UTF-16 (so that it has a UTF-8 encoding; Java's encoder
     * would silently write '?' for an unpaired surrogate).
     *
     * @throws IllegalArgumentException otherwise
     */
    static String requireWellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("unpaired surrogate at index " + i + " has no UTF-8 encoding");
            }
        }
        return s;
    }

    /** The value's type; {@link GgufValueType#ARRAY} for arrays. */
    public GgufValueType type() {
        return type;
    }

    /** The element type of an array; null for a scalar. */
    public GgufValueType elementType() {
        return elementType;
    }

    public boolean isArray() {
        return type == GgufValueType.ARRAY;
    }

    /** The number of elements of an array; 1 for a scalar. */
    public int length() {
        if (value instanceof PackedStrings strings) {
            return strings.size();
        }
        return isArray() ? java.lang.reflect.Array.getLength(value) : 1;
    }

    /** {@code "UINT32"} for a scalar, {@code "ARRAY<STRING>"} for an array: used in error messages. */
    public String typeName() {
        return isArray() ? "ARRAY<" + elementType + ">" : type.toString();
    }

    /**
     * The exact value of an integer scalar of any width.
     *
     * @throws IllegalStateException if this is not an integer scalar
     * @throws ArithmeticException if this is a UINT64 above {@code Long.MAX_VALUE}
     */
    public long asLong() {
        if (isArray() || !type.isInteger()) {
            throw new IllegalStateException(typeName() + " is not an integer");
        }
        long v = (Long) value;
        if (type == GgufValueType.UINT64 && v < 0) {
            throw new ArithmeticException("UINT64 " + Long.toUnsignedString(v) + " does not fit in a long");
        }
        return v;
    }

    /** The raw 64 bits of an integer scalar (two's complement; UINT64 unsigned). */
    public long asRawLong() {
        if (isArray() || !type.isInteger()) {
            throw new IllegalStateException(typeName() + " is not an integer");
        }
        return (Long) value;
    }

    /** @throws IllegalStateException unless this is a FLOAT32 scalar */
    public float asFloat() {
        return (Float) expect(GgufValueType.FLOAT32);
    }

    /** A FLOAT32 or FLOAT64 scalar as double. @throws IllegalStateException otherwise */
    public double asDouble() {
        if (type == GgufValueType.FLOAT32) {
            return (Float) value;
        }
        return (Double) expect(GgufValueType.FLOAT64);
    }

    /** @throws IllegalStateException unless this is a BOOL scalar */
    public boolean asBoolean() {
        return (Boolean) expect(GgufValueType.BOOL);
    }

    /** @throws IllegalStateException unless this is a STRING scalar */
    public String asString() {
        return (String) expect(GgufValueType.STRING);
    }

    /**
     * The elements of a STRING array, as an unmodifiable list that reads this value: nothing is
     * copied up front, and {@code get(i)} decodes element {@code i} into a new {@code String} on
     * every call (keep the strings a loop needs more than once).
     *
     * @throws IllegalStateException unless this is a STRING array
     */
    public List<String> asStringList() {
        return ((PackedStrings) expectArray(GgufValueType.STRING)).asList();
    }

    /**
     * Element {@code i} of a STRING array, decoded into a new {@code String}.
     *
     * @throws IllegalStateException unless this is a STRING array
     * @throws IndexOutOfBoundsException if {@code i} is not in {@code [0, length())}
     */
    public String stringAt(int i) {
        return ((PackedStrings) expectArray(GgufValueType.STRING)).get(i);
    }

    /** A copy of a FLOAT32 array. */
    public float[] asFloatArray() {
        return ((float[]) expectArray(GgufValueType.FLOAT32)).clone();
    }

    /** A copy of a FLOAT64 array. */
    public double[] asDoubleArray() {
        return ((double[]) expectArray(GgufValueType.FLOAT64)).clone();
    }

    /** A copy of a BOOL array. */
    public boolean[] asBooleanArray() {
        return ((boolean[]) expectArray(GgufValueType.BOOL)).clone();
    }

    /**
     * Element {@code i} of an integer array: the exact value for every width (unsigned types
     * zero-extended), the raw bits for a UINT64.
     */
    public long integerAt(int i) {
        if (!isArray() || !elementType.isInteger()) {
            throw new IllegalStateException(typeName() + " is not an integer array");
        }
        return switch (elementType) {
            case UINT8 -> Byte.toUnsignedLong(((byte[]) value)[i]);
            case INT8 -> ((byte[]) value)[i];
            case UINT16 -> Short.toUnsignedLong(((short[]) value)[i]);
            case INT16 -> ((short[]) value)[i];
            case UINT32 -> Integer.toUnsignedLong(((int[]) value)[i]);
            case INT32 -> ((int[]) value)[i];
            default -> ((long[]) value)[i];
        };
    }

    /** The internal array, {@link PackedStrings} or boxed scalar; package use only (writer), never handed out. */
    Object raw() {
        return value;
    }

    private Object expect(GgufValueType t) {
        if (type != t) {
            throw new IllegalStateException(typeName() + " is not " + t);
        }
        return value;
    }

    private Object expectArray(GgufValueType t) {
        if (!isArray() || elementType != t) {
            throw new IllegalStateException(typeName() + " is not ARRAY<" + t + ">");
        }
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufValue other
                && type == other.type
                && elementType == other.elementType
                && Objects.deepEquals(value, other.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, elementType, Arrays.deepHashCode(new Object[] {value}));
    }

    /** A short description: the scalar, or the array type and length (never the elements). */
    @Override
    public String toString() {
        if (isArray()) {
            return typeName() + "[" + length() + "]";
        }
        if (type == GgufValueType.UINT64) {
            return type + " " + Long.toUnsignedString((Long) value);
        }
        return type + " " + (type == GgufValueType.STRING ? '"' + (String) value + '"' : value);
    }
}
