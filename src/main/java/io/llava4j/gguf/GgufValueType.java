package io.llava4j.gguf;

/**
 * The metadata value types of GGUF ({@code enum gguf_type} in {@code ggml/include/gguf.h}).
 *
 * <p>The ids are part of the file format. {@link #ARRAY} is a container whose elements all have one
 * of the other types; llama.cpp's reader rejects arrays of arrays, and so does {@link GgufReader}.
 */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    /** One byte; llama.cpp reads any non-zero byte as true. */
    BOOL(7, 1),
    /** u64 byte length + UTF-8 bytes (no terminator). */
    STRING(8, 0),
    /** u32 element type + u64 count + elements. */
    ARRAY(9, 0),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = new GgufValueType[13];

    static {
        for (GgufValueType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int size;

    GgufValueType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    /** The id written to the file. */
    public int id() {
        return id;
    }

    /** The encoded size in bytes of one value, or 0 for {@link #STRING} and {@link #ARRAY}. */
    public int size() {
        return size;
    }

    /** True for the eight integer types (not {@link #BOOL}). */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** True for the unsigned integer types. */
    public boolean isUnsigned() {
        return this == UINT8 || this == UINT16 || this == UINT32 || this == UINT64;
    }

    /** The smallest number of bytes one encoded value of this type can take (string: its length). */
    int minEncodedSize() {
        return this == STRING ? 8 : size;
    }

    /**
     * The type with the given id.
     *
     * @return the type, or null when {@code id} is not a GGUF value type
     */
    public static GgufValueType fromId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }
}
