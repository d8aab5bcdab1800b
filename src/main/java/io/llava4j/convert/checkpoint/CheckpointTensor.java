package io.llava4j.convert.checkpoint;

import io.llava4j.Llava4jException.Code;
import io.llava4j.convert.CheckpointException;
import io.llava4j.gguf.HalfFloat;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor of a checkpoint: name, element type, shape in PyTorch order (outermost first) and
 * where its contiguous little-endian bytes lie in a file. Values are read on demand, converted to
 * float, so a tensor never has to be in memory whole. Thread-safe (positional reads).
 */
public final class CheckpointTensor {
    /** Bytes read per I/O call at most. */
    static final int CHUNK_BYTES = 1 << 22;

    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final long elements;
    private final Path file;
    private final ByteSource channel;
    private final long offset;

    /**
     * @param file the file the tensor comes from, for messages
     * @param channel where the bytes are read from (an open channel of {@code file}, owned by the
     *     checkpoint, or inline data)
     * @param offset position of the first element in {@code channel}
     */
    public CheckpointTensor(String name, DType dtype, long[] shape, Path file, ByteSource channel, long offset) {
        this.name = name;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.elements = elementCount(shape);
        this.file = file;
        this.channel = channel;
        this.offset = offset;
    }

    /** The product of {@code shape}, 1 for a scalar. @throws ArithmeticException on overflow */
    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new ArithmeticException("negative dimension");
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public String name() {
        return name;
    }

    public DType dtype() {
        return dtype;
    }

    /** The shape in PyTorch order (a copy). */
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i} (PyTorch order). */
    public long dim(int i) {
        return shape[i];
    }

    public long elementCount() {
        return elements;
    }

    public long byteSize() {
        return elements * dtype.size();
    }

    /** The file holding the data. */
    public Path file() {
        return file;
    }

    /**
     * Reads elements {@code [first, first + len)} (flat, row-major) into {@code dst[off...]} as floats.
     *
     * @throws CheckpointException {@code INVALID_FILE} if the type is not a float type or the file is
     *     shorter than the header says; {@code IO} on read errors
     */
    public void readFloats(long first, float[] dst, int off, int len) {
        if (!dtype.isFloat()) {
            throw new CheckpointException(
                    file,
                    "tensor '" + name + "' has type " + dtype
                            + "; only F32, F16, BF16 and F64 weights can be converted");
        }
        if (first < 0 || len < 0 || first + len > elements) {
            throw new IndexOutOfBoundsException("elements [" + first + ", " + (first + len) + ") of " + this);
        }
        int size = dtype.size();
        int perChunk = CHUNK_BYTES / size;
        ByteBuffer buf = ByteBuffer.allocate(Math.min(len, perChunk) * size).order(ByteOrder.LITTLE_ENDIAN);
        int done = 0;
        while (done < len) {
            int n = Math.min(len - done, perChunk);
            buf.clear().limit(n * size);
            readFully(buf, offset + (first + done) * size);
            buf.flip();
            decode(buf, dst, off + done, n);
            done += n;
        }
    }

    /**
     * Reads the whole tensor as floats. The converter reads one tensor at a time this way (a
     * transpose or a head permutation needs all of it), so memory is bounded by the largest tensor.
     */
    public float[] readAllFloats() {
        if (elements > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(file, "tensor '" + name + "' is too large to read at once");
        }
        float[] out = new float[(int) elements];
        readFloats(0, out, 0, out.length);
        return out;
    }

    private void decode(ByteBuffer buf, float[] dst, int off, int n) {
        switch (dtype) {
            case F32 -> buf.asFloatBuffer().get(dst, off, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst[off + i] = HalfFloat.toFloat(buf.getShort(2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst[off + i] = HalfFloat.bf16ToFloat(buf.getShort(2 * i));
                }
            }
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    dst[off + i] = (float) buf.getDouble(8 * i);
                }
            }
            default -> throw new AssertionError(dtype);
        }
    }

    private void readFully(ByteBuffer buf, long position) {
        try {
            long pos = position;
            while (buf.hasRemaining()) {
                int r = channel.read(buf, pos);
                if (r < 0) {
                    throw new EOFException();
                }
                pos += r;
            }
        } catch (EOFException e) {
            throw new CheckpointException(file, "truncated: tensor '" + name + "' extends past the end of the file");
        } catch (IOException e) {
            throw new CheckpointException(Code.IO, file, "cannot read tensor '" + name + "': " + e, e);
        }
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape);
    }
}
