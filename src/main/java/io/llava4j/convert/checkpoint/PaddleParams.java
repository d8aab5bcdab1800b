package io.llava4j.convert.checkpoint;

import io.llava4j.Llava4jException.Code;
import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.checkpoint.PickledObjects.FileBytes;
import io.llava4j.convert.checkpoint.PickledObjects.NumpyArray;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Paddle {@code .pdparams} file as {@code paddle.save(state_dict)} writes it: one pickle of a
 * dict from parameter name to a NumPy array, or to {@code (name, array)} (what
 * {@code paddle.save}'s {@code reduce_varbase} pickles for a Tensor). Read through
 * {@link RestrictedUnpickler}; array bytes of 64 KiB or more are left in the file and stream from
 * it. NumPy {@code uint16} arrays are read as bfloat16, which is how Paddle exports bfloat16
 * weights (no LLaVA weight is an integer).
 */
final class PaddleParams {
    private PaddleParams() {}

    record Opened(FileChannel channel, Map<String, CheckpointTensor> tensors) {}

    /**
     * Opens {@code file} and reads its pickle.
     *
     * @throws CheckpointException {@code IO} if it cannot be read, {@code INVALID_FILE} if it is not a
     *     pickled dict of arrays, or names anything outside the unpickler's whitelist
     */
    static Opened open(Path file) {
        return WeightFiles.open(file, (f, ch) -> new Opened(ch, read(f, ch)));
    }

    private static Map<String, CheckpointTensor> read(Path file, FileChannel ch) {
        Object root;
        long fileSize;
        try {
            fileSize = ch.size();
            // a separate stream: positional tensor reads later must not move it
            InputStream in = new BufferedInputStream(
                    Channels.newInputStream(FileChannel.open(file, StandardOpenOption.READ)), 1 << 16);
            try (in) {
                root = RestrictedUnpickler.load(file, in, 0, null);
            }
        } catch (IOException e) {
            throw new CheckpointException(Code.IO, file, "cannot read: " + e, e);
        }
        if (!(root instanceof Map<?, ?> dict)) {
            throw new CheckpointException(
                    file,
                    "the pickle holds "
                            + (root == null ? "None" : root.getClass().getSimpleName()) + ", not a dict of parameters");
        }
        Map<String, CheckpointTensor> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            String name = String.valueOf(e.getKey());
            Object v = e.getValue();
            if (v instanceof Object[] t && t.length == 2 && t[1] instanceof NumpyArray a) {
                v = a;
            }
            if (!(v instanceof NumpyArray a)) {
                continue; // e.g. StructuredToParameterName@@: a name table, not a weight
            }
            out.put(name, tensor(file, ch, fileSize, name, a));
        }
        if (out.isEmpty()) {
            throw new CheckpointException(file, "no arrays in the parameter dict");
        }
        return out;
    }

    private static CheckpointTensor tensor(Path file, FileChannel ch, long fileSize, String name, NumpyArray a) {
        if (a.dtype == null || a.shape == null) {
            throw new CheckpointException(file, "parameter '" + name + "': array without state");
        }
        if (a.dtype.byteOrder.equals(">")) {
            throw new CheckpointException(file, "parameter '" + name + "': big-endian arrays are not supported");
        }
        DType dtype = switch (a.dtype.code.replaceFirst("^[<=|]", "")) {
            case "f4", "float32" -> DType.F32;
            case "f2", "float16" -> DType.F16;
            case "f8", "float64" -> DType.F64;
            case "u2", "uint16" -> DType.BF16;
            case "i8" -> DType.I64;
            case "i4" -> DType.I32;
            default -> throw new CheckpointException(file, "parameter '" + name + "': unsupported dtype " + a.dtype);
        };
        if (a.fortran && a.shape.length > 1) {
            throw new CheckpointException(file, "parameter '" + name + "': Fortran-ordered arrays are not supported");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(CheckpointTensor.elementCount(a.shape), (long) dtype.size());
        } catch (ArithmeticException e) {
            throw new CheckpointException(file, "parameter '" + name + "': invalid shape");
        }
        if (a.data instanceof byte[] b) {
            if (b.length != bytes) {
                throw new CheckpointException(
                        file, "parameter '" + name + "': " + b.length + " data bytes, the shape needs " + bytes);
            }
            return new CheckpointTensor(name, dtype, a.shape, file, ByteSource.of(b), 0);
        }
        if (a.data instanceof FileBytes fb) {
            if (fb.length() != bytes || fb.offset() + fb.length() > fileSize) {
                throw new CheckpointException(
                        file,
                        "parameter '" + name + "': data of " + fb.length() + " bytes does not match the shape (" + bytes
                                + ") or the file is truncated");
            }
            return new CheckpointTensor(name, dtype, a.shape, file, ch::read, fb.offset());
        }
        throw new CheckpointException(file, "parameter '" + name + "': array data is not bytes");
    }
}
