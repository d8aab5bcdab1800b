package io.llava4j.gguf;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where a {@link GgufWriter.TensorSource} streams one tensor's data: raw bytes in ggml's layout, or
 * floats that are converted to the tensor's type (F32, F16 or BF16). The writer knows the exact
 * byte count from the tensor's type and shape and refuses a source that writes more, or (after it
 * returns) fewer bytes. Valid only during the {@code writeTo} call it was passed to; not
 * thread-safe.
 */
public final class GgufTensorOutput {
    private final GgufOutput out;
    private final GgufTensorInfo tensor;
    private long written;
    private boolean closed;

    GgufTensorOutput(GgufOutput out, GgufTensorInfo tensor) {
        this.out = out;
        this.tensor = tensor;
    }

    /** The tensor being written (name, type, shape, byte size). */
    public GgufTensorInfo tensor() {
        return tensor;
    }

    /** Bytes still expected. */
    public long remainingBytes() {
        return tensor.byteSize() - written;
    }

    private void reserve(long bytes) {
        if (closed) {
            throw new IllegalStateException("tensor '" + tensor.name() + "' has already been written");
        }
        if (bytes > remainingBytes()) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "tensor '" + tensor.name() + "': source writes " + (written + bytes) + " bytes or more, but "
                            + tensor + " has " + tensor.byteSize());
        }
        written += bytes;
    }

    /**
     * Writes the remaining bytes of {@code data} (consumed) as they are.
     *
     * @throws Llava4jException (INVALID_ARGUMENT) if that is more than the tensor has left
     */
    public void writeBytes(ByteBuffer data) throws IOException {
        reserve(data.remaining());
        out.bytes(data);
    }

    /**
     * Writes {@code len} floats from {@code values[off]}, converted to the tensor's type.
     *
     * @throws Llava4jException (INVALID_ARGUMENT) if the tensor is not F32, F16 or BF16, or the
     *     floats are more than it has left
     */
    public void writeFloats(float[] values, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, values.length);
        GgmlType type = tensor.type();
        switch (type) {
            case F32 -> {
                reserve(4L * len);
                for (int i = off; i < off + len; i++) {
                    out.f32(values[i]);
                }
            }
            case F16 -> {
                reserve(2L * len);
                for (int i = off; i < off + len; i++) {
                    out.i16(HalfFloat.fromFloat(values[i]));
                }
            }
            case BF16 -> {
                reserve(2L * len);
                for (int i = off; i < off + len; i++) {
                    out.i16(HalfFloat.bf16FromFloat(values[i]));
                }
            }
            default ->
                throw new Llava4jException(
                        Code.INVALID_ARGUMENT,
                        "tensor '" + tensor.name() + "' has type " + type.ggmlName()
                                + "; floats can be written to f32, f16 and bf16 tensors only");
        }
    }

    /** Writes all of {@code values}, converted to the tensor's type. */
    public void writeFloats(float[] values) throws IOException {
        writeFloats(values, 0, values.length);
    }

    /** Called by the writer after the source returns. */
    void finish() {
        closed = true;
        if (written != tensor.byteSize()) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "tensor '" + tensor.name() + "': source wrote " + written + " bytes, but " + tensor + " has "
                            + tensor.byteSize());
        }
    }
}
