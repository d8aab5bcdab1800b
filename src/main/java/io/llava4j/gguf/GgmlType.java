package io.llava4j.gguf;

/**
 * The tensor element types of ggml ({@code enum ggml_type} in {@code ggml/include/ggml.h} of the
 * pinned llama.cpp), with the block geometry of {@code type_traits} in {@code ggml/src/ggml.c}.
 *
 * <p>A tensor row of {@code ne0} elements takes {@code ne0 / blockSize * typeSize} bytes, and
 * {@code ne0} must be a multiple of {@code blockSize} ({@code gguf_init_from_reader} rejects the
 * file otherwise). Block sizes and byte sizes were taken from {@code ggml-common.h} ({@code QK*}
 * constants and {@code sizeof(block_*)}) at commit de3ff815. Ids that ggml has retired (4, 5, 31-33,
 * 36-38: the old Q4_2/Q4_3 and the repacked Q4_0_x_y / IQ4_NL_x_y) have no constant: a file using
 * them is rejected by llama.cpp as well.
 */
public enum GgmlType {
    F32(0, "f32", 1, 4),
    F16(1, "f16", 1, 2),
    Q4_0(2, "q4_0", 32, 18),
    Q4_1(3, "q4_1", 32, 20),
    Q5_0(6, "q5_0", 32, 22),
    Q5_1(7, "q5_1", 32, 24),
    Q8_0(8, "q8_0", 32, 34),
    Q8_1(9, "q8_1", 32, 36),
    Q2_K(10, "q2_K", 256, 84),
    Q3_K(11, "q3_K", 256, 110),
    Q4_K(12, "q4_K", 256, 144),
    Q5_K(13, "q5_K", 256, 176),
    Q6_K(14, "q6_K", 256, 210),
    Q8_K(15, "q8_K", 256, 292),
    IQ2_XXS(16, "iq2_xxs", 256, 66),
    IQ2_XS(17, "iq2_xs", 256, 74),
    IQ3_XXS(18, "iq3_xxs", 256, 98),
    IQ1_S(19, "iq1_s", 256, 50),
    IQ4_NL(20, "iq4_nl", 32, 18),
    IQ3_S(21, "iq3_s", 256, 110),
    IQ2_S(22, "iq2_s", 256, 82),
    IQ4_XS(23, "iq4_xs", 256, 136),
    I8(24, "i8", 1, 1),
    I16(25, "i16", 1, 2),
    I32(26, "i32", 1, 4),
    I64(27, "i64", 1, 8),
    F64(28, "f64", 1, 8),
    IQ1_M(29, "iq1_m", 256, 56),
    BF16(30, "bf16", 1, 2),
    TQ1_0(34, "tq1_0", 256, 54),
    TQ2_0(35, "tq2_0", 256, 66),
    MXFP4(39, "mxfp4", 32, 17),
    NVFP4(40, "nvfp4", 64, 36),
    Q1_0(41, "q1_0", 128, 18),
    Q2_0(42, "q2_0", 64, 18);

    /** {@code GGML_TYPE_COUNT} at the pinned commit: ids at or above it are unknown. */
    public static final int COUNT = 43;

    private static final GgmlType[] BY_ID = new GgmlType[COUNT];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final String ggmlName;
    private final int blockSize;
    private final int typeSize;

    GgmlType(int id, String ggmlName, int blockSize, int typeSize) {
        this.id = id;
        this.ggmlName = ggmlName;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    /** The id written to the file ({@code GGML_TYPE_*}). */
    public int id() {
        return id;
    }

    /** ggml's own name ({@code ggml_type_name}), e.g. {@code "q4_K"}. */
    public String ggmlName() {
        return ggmlName;
    }

    /** Elements per block ({@code ggml_blck_size}); 1 for plain types. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block ({@code ggml_type_size}). */
    public int typeSize() {
        return typeSize;
    }

    /** True for the block-quantized types (block size above 1). */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /**
     * Bytes taken by {@code elements} elements ({@code ggml_row_size}).
     *
     * @param elements element count, a multiple of {@link #blockSize()}
     * @return the byte count
     * @throws IllegalArgumentException if {@code elements} is negative or not a whole number of blocks
     * @throws ArithmeticException if the result does not fit in a long
     */
    public long byteSize(long elements) {
        if (elements < 0 || elements % blockSize != 0) {
            throw new IllegalArgumentException(
                    elements + " elements of " + ggmlName + " are not a whole number of blocks of " + blockSize);
        }
        return Math.multiplyExact(elements / blockSize, (long) typeSize);
    }

    /**
     * The type with the given id.
     *
     * @return the type, or null when {@code id} is not a ggml type of the pinned commit (or a retired one)
     */
    public static GgmlType fromId(long id) {
        return id >= 0 && id < COUNT ? BY_ID[(int) id] : null;
    }
}
