package io.llava4j.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * The header entry of one tensor in a GGUF file: name, ggml type, shape and where its bytes are.
 *
 * <p>Dimensions are in ggml order: {@code dim(0)} ({@code ne0}) is the fastest-varying one, so a
 * PyTorch weight of shape {@code [out, in]} is stored as {@code [in, out]}. Immutable. Instances
 * made by {@link GgufReader} have been validated (1 to 4 positive dimensions whose product fits a
 * long, {@code ne0} a multiple of the type's block size).
 */
public final class GgufTensorInfo {
    /** {@code GGML_MAX_DIMS}. */
    public static final int MAX_DIMS = 4;
    /** {@code GGML_MAX_NAME}: llama.cpp rejects names of this many bytes or more. */
    public static final int MAX_NAME_BYTES = 64;

    private final String name;
    private final GgmlType type;
    private final long[] dims;
    private final long offset;
    private final long elementCount;
    private final long byteSize;

    /**
     * @param name tensor name
     * @param type element type
     * @param dims shape in ggml order (copied)
     * @param offset byte offset of the data relative to the start of the data section
     * @throws IllegalArgumentException if the shape is invalid (see class comment)
     */
    public GgufTensorInfo(String name, GgmlType type, long[] dims, long offset) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = Objects.requireNonNull(type, "type");
        this.dims = dims.clone();
        this.offset = offset;
        String problem = shapeProblem(type, this.dims);
        if (problem != null) {
            throw new IllegalArgumentException("tensor '" + name + "': " + problem);
        }
        long n = 1;
        for (long d : this.dims) {
            n *= d; // cannot overflow: shapeProblem checked it
        }
        this.elementCount = n;
        this.byteSize = type.byteSize(n);
    }

    /**
     * Why a shape is invalid for a type, or null if it is valid. Shared by reader and writer.
     */
    static String shapeProblem(GgmlType type, long[] dims) {
        if (dims.length < 1 || dims.length > MAX_DIMS) {
            return "has " + dims.length + " dimensions, expected 1 to " + MAX_DIMS;
        }
        long n = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] <= 0) {
                return "dimension " + i + " is " + Long.toUnsignedString(dims[i]) + ", expected a positive size";
            }
            try {
                n = Math.multiplyExact(n, dims[i]);
            } catch (ArithmeticException e) {
                return "shape " + Arrays.toString(dims) + " has more elements than fit in 64 bits";
            }
        }
        if (dims[0] % type.blockSize() != 0) {
            return "row size ne0=" + dims[0] + " is not a multiple of the " + type.ggmlName() + " block size "
                    + type.blockSize();
        }
        if (n / type.blockSize() > Long.MAX_VALUE / type.typeSize()) {
            return "shape " + Arrays.toString(dims) + " takes more bytes than fit in 64 bits";
        }
        return null;
    }

    public String name() {
        return name;
    }

    public GgmlType type() {
        return type;
    }

    /** The number of dimensions (1 to 4). */
    public int nDims() {
        return dims.length;
    }

    /** Dimension {@code i} in ggml order ({@code ne[i]}); 1 for {@code i >= nDims()} like ggml. */
    public long dim(int i) {
        if (i < 0) {
            throw new IndexOutOfBoundsException(i);
        }
        return i < dims.length ? dims[i] : 1;
    }

    /** A copy of the shape in ggml order. */
    public long[] dims() {
        return dims.clone();
    }

    /** Byte offset of the data relative to the start of the data section. */
    public long offset() {
        return offset;
    }

    public long elementCount() {
        return elementCount;
    }

    /** Bytes of data ({@code ggml_nbytes}), without alignment padding. */
    public long byteSize() {
        return byteSize;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t
                && name.equals(t.name)
                && type == t.type
                && offset == t.offset
                && Arrays.equals(dims, t.dims);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, offset, Arrays.hashCode(dims));
    }

    /** E.g. {@code "blk.0.attn_q.weight q8_0 [4096, 4096] @0"}. */
    @Override
    public String toString() {
        return name + " " + type.ggmlName() + " " + Arrays.toString(dims) + " @" + offset;
    }
}
