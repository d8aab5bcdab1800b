package io.llava4j.gguf;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Builds a GGUF v3 file: metadata of every value type, then tensors whose data is streamed to disk
 * when {@link #write} runs, so a multi-GB model never has to be in memory (let alone twice).
 *
 * <p>The output is laid out like {@code gguf_write_out} in {@code ggml/src/gguf.cpp} writes it, and
 * like llama.cpp's reader demands: header, metadata in insertion order, tensor infos in insertion
 * order, zero padding to the alignment, then each tensor's data padded to the alignment, back to
 * back. The alignment is {@code general.alignment} if set (see {@link #alignment(int)}), else 32. A
 * file without tensors ends right after its metadata, as the Python {@code gguf} writer makes it.
 *
 * <p>Usage errors (a duplicate tensor name, a bad shape, a source that writes the wrong number of
 * bytes) throw {@link Llava4jException} with {@link Code#INVALID_ARGUMENT}; I/O failures throw it
 * with {@link Code#IO}. Not thread-safe. {@code put} on an existing key replaces the value and keeps
 * the key's position. {@link #write} may be called more than once; each call runs every tensor
 * source again.
 */
public final class GgufWriter {
    /** Streams one tensor's data; see {@link GgufTensorOutput}. */
    @FunctionalInterface
    public interface TensorSource {
        /** Writes exactly the tensor's {@link GgufTensorInfo#byteSize()} bytes to {@code out}. */
        void writeTo(GgufTensorOutput out) throws IOException;
    }

    private record Pending(String name, GgmlType type, long[] dims, TensorSource source) {}

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Pending> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();

    /** An empty file: no metadata, no tensors. */
    public GgufWriter() {}

    /**
     * Sets (or replaces) a metadata value.
     *
     * @throws Llava4jException (INVALID_ARGUMENT) if the key is empty, or it is
     *     {@code general.alignment} and the value is not a UINT32 power of two
     */
    public GgufWriter put(String key, GgufValue value) {
        Objects.requireNonNull(value, "value");
        if (key == null || key.isEmpty()) {
            throw invalid("metadata key must not be empty");
        }
        try {
            GgufValue.requireWellFormed(key);
        } catch (IllegalArgumentException e) {
            throw invalid("metadata key '" + key + "': " + e.getMessage());
        }
        if (key.equals(GgufReader.ALIGNMENT_KEY)) {
            long a = value.type() == GgufValueType.UINT32 ? value.asLong() : 0;
            if (a == 0 || Long.bitCount(a) != 1 || a > (1 << 30)) {
                throw invalid(key + " must be a UINT32 power of two, got " + value);
            }
        }
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putString(String key, String v) {
        return put(key, GgufValue.string(v));
    }

    public GgufWriter putU8(String key, int v) {
        return put(key, GgufValue.uint8(v));
    }

    public GgufWriter putI8(String key, int v) {
        return put(key, GgufValue.int8(v));
    }

    public GgufWriter putU16(String key, int v) {
        return put(key, GgufValue.uint16(v));
    }

    public GgufWriter putI16(String key, int v) {
        return put(key, GgufValue.int16(v));
    }

    public GgufWriter putU32(String key, long v) {
        return put(key, GgufValue.uint32(v));
    }

    public GgufWriter putI32(String key, int v) {
        return put(key, GgufValue.int32(v));
    }

    public GgufWriter putU64(String key, long rawBits) {
        return put(key, GgufValue.uint64(rawBits));
    }

    public GgufWriter putI64(String key, long v) {
        return put(key, GgufValue.int64(v));
    }

    public GgufWriter putF32(String key, float v) {
        return put(key, GgufValue.float32(v));
    }

    public GgufWriter putF64(String key, double v) {
        return put(key, GgufValue.float64(v));
    }

    public GgufWriter putBool(String key, boolean v) {
        return put(key, GgufValue.bool(v));
    }

    public GgufWriter putStringArray(String key, List<String> v) {
        return put(key, GgufValue.stringArray(v));
    }

    public GgufWriter putI32Array(String key, int... v) {
        return put(key, GgufValue.int32Array(v));
    }

    public GgufWriter putF32Array(String key, float... v) {
        return put(key, GgufValue.float32Array(v));
    }

    /** Removes a metadata key if present. */
    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    /** Sets {@code general.alignment} (a power of two; 32 is the default and need not be set). */
    public GgufWriter alignment(int alignment) {
        return putU32(GgufReader.ALIGNMENT_KEY, alignment);
    }

    /** Copies (or replaces) all metadata of {@code source}, in its order. */
    public GgufWriter copyMetadata(GgufFile source) {
        return copyMetadata(source, k -> true);
    }

    /** Copies (or replaces) the metadata of {@code source} whose keys pass {@code keys}. */
    public GgufWriter copyMetadata(GgufFile source, Predicate<String> keys) {
        source.metadata().forEach((k, v) -> {
            if (keys.test(k)) {
                put(k, v);
            }
        });
        return this;
    }

    /** The metadata set so far, in order (a copy). */
    public Map<String, GgufValue> metadata() {
        return new LinkedHashMap<>(metadata);
    }

    /**
     * Adds a tensor whose data is streamed by {@code source} during {@link #write}.
     *
     * @param dims shape in ggml order ({@code ne0} first), 1 to 4 positive sizes, {@code ne0} a
     *     multiple of the type's block size
     * @throws Llava4jException (INVALID_ARGUMENT) on a duplicate or bad name or a bad shape
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, TensorSource source) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(source, "source");
        if (name != null) {
            try {
                GgufValue.requireWellFormed(name);
            } catch (IllegalArgumentException e) {
                throw invalid("tensor name '" + name + "': " + e.getMessage());
            }
        }
        int nameBytes = name == null ? 0 : name.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes == 0 || nameBytes >= GgufTensorInfo.MAX_NAME_BYTES) {
            throw invalid("tensor name '" + name + "' must be 1 to " + (GgufTensorInfo.MAX_NAME_BYTES - 1) + " bytes");
        }
        String problem = GgufTensorInfo.shapeProblem(type, dims);
        if (problem != null) {
            throw invalid("tensor '" + name + "' " + problem);
        }
        if (!tensorNames.add(name)) {
            throw invalid("duplicate tensor name '" + name + "'");
        }
        tensors.add(new Pending(name, type, dims.clone(), source));
        return this;
    }

    /**
     * Adds a tensor with its raw bytes in ggml layout. The buffer is not copied: its remaining
     * bytes are written during {@link #write} (the buffer's position is left untouched), so do not
     * change it before then.
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, ByteBuffer data) {
        String problem = GgufTensorInfo.shapeProblem(type, dims);
        if (problem != null) {
            throw invalid("tensor '" + name + "' " + problem);
        }
        long expected = new GgufTensorInfo(name, type, dims, 0).byteSize();
        if (data.remaining() != expected) {
            throw invalid("tensor '" + name + "': " + data.remaining() + " bytes for " + type.ggmlName() + " shape "
                    + java.util.Arrays.toString(dims) + ", which takes " + expected);
        }
        ByteBuffer view = data.duplicate();
        return addTensor(name, type, dims, out -> out.writeBytes(view.duplicate()));
    }

    /**
     * Adds an F32, F16 or BF16 tensor from floats in ggml order, converted while writing. The array
     * is not copied; do not change it before {@link #write}.
     *
     * @throws Llava4jException (INVALID_ARGUMENT) if the type is not F32/F16/BF16 or the array
     *     length differs from the element count
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, float[] data) {
        if (type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.BF16) {
            throw invalid("tensor '" + name + "': floats can be stored as f32, f16 or bf16, not " + type.ggmlName());
        }
        String problem = GgufTensorInfo.shapeProblem(type, dims);
        if (problem != null) {
            throw invalid("tensor '" + name + "' " + problem);
        }
        long n = 1;
        for (long d : dims) {
            n *= d; // cannot overflow: the shape is valid
        }
        if (n != data.length) {
            throw invalid(
                    "tensor '" + name + "': " + data.length + " floats for shape " + java.util.Arrays.toString(dims));
        }
        return addTensor(name, type, dims, out -> out.writeFloats(data));
    }

    /** Adds a copy of tensor {@code name} of {@code source} (same type and shape), streamed from disk. */
    public GgufWriter copyTensor(GgufFile source, String name) {
        GgufTensorInfo t = source.tensor(name);
        long start = source.absoluteOffset(t);
        return addTensor(name, t.type(), t.dims(), out -> {
            try (FileChannel ch = FileChannel.open(source.path(), StandardOpenOption.READ)) {
                ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
                long done = 0;
                while (done < t.byteSize()) {
                    chunk.clear().limit((int) Math.min(chunk.capacity(), t.byteSize() - done));
                    int r = ch.read(chunk, start + done);
                    if (r < 0) {
                        throw new IOException(source.path() + " shrank while copying tensor '" + name + "'");
                    }
                    done += r;
                    out.writeBytes(chunk.flip());
                }
            }
        });
    }

    /**
     * Writes the file: to a temporary file next to {@code path}, then renamed over it, so a failed
     * write never leaves a half-written model under the final name.
     *
     * @throws Llava4jException with {@link Code#IO} if writing fails, with
     *     {@link Code#INVALID_ARGUMENT} if a tensor source misbehaves
     */
    public void write(Path path) {
        Path abs = path.toAbsolutePath();
        Path tmp = abs.resolveSibling(
                abs.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeTo(new GgufOutput(ch));
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, abs + ": cannot write GGUF file: " + e, e);
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one to report
                }
            }
        }
    }

    private void writeTo(GgufOutput out) throws IOException {
        GgufValue alignValue = metadata.get(GgufReader.ALIGNMENT_KEY);
        int alignment = alignValue == null ? GgufReader.DEFAULT_ALIGNMENT : (int) alignValue.asLong();

        List<GgufTensorInfo> infos = new ArrayList<>(tensors.size());
        long offset = 0;
        for (Pending p : tensors) {
            GgufTensorInfo info = new GgufTensorInfo(p.name, p.type, p.dims, offset);
            infos.add(info);
            offset = Math.addExact(offset, GgufFile.alignUp(info.byteSize(), alignment));
        }

        out.i32(GgufFile.MAGIC);
        out.i32(GgufReader.MAX_VERSION);
        out.i64(infos.size());
        out.i64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            out.string(e.getKey());
            GgufValueIO.write(out, e.getValue());
        }
        for (GgufTensorInfo t : infos) {
            out.string(t.name());
            out.i32(t.nDims());
            for (int d = 0; d < t.nDims(); d++) {
                out.i64(t.dim(d));
            }
            out.i32(t.type().id());
            out.i64(t.offset());
        }
        if (!infos.isEmpty()) {
            // gguf.cpp pads here even without tensors; the Python writer (which made the vocab files
            // in llama.cpp's models/) does not, and the reader takes the data section to start right
            // after the header then, so we match the Python writer byte for byte.
            out.pad(alignment);
        }
        long dataStart = out.position();
        for (int i = 0; i < infos.size(); i++) {
            GgufTensorInfo t = infos.get(i);
            if (out.position() - dataStart != t.offset()) {
                throw new AssertionError("layout drift at tensor " + t);
            }
            GgufTensorOutput tensorOut = new GgufTensorOutput(out, t);
            tensors.get(i).source.writeTo(tensorOut);
            tensorOut.finish();
            out.pad(alignment);
        }
        out.flush();
    }

    private static Llava4jException invalid(String message) {
        return new Llava4jException(Code.INVALID_ARGUMENT, message);
    }
}
