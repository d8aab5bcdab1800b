package io.llava4j.gguf;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;

/**
 * The validated header of one GGUF file: version, alignment, metadata in file order and tensor
 * infos in file order. Made by {@link GgufReader#read}; immutable and thread-safe. Tensor data
 * stays on disk until {@link #readTensorBytes} or {@link #readTensorFloats} is called.
 *
 * <p><b>Typed getters are strict on purpose.</b> llama.cpp's {@code gguf_get_val_u32} and friends
 * abort the whole process when a key has another type than the caller expects (see REFERENCE.md
 * section 6), so code about to hand a file to native code checks types here first:
 * {@link #requireType} and the {@code getX}/{@code optionalX} methods throw a
 * {@link GgufFormatException} whose message names the file, the key, the expected and the actual
 * type. {@code optionalX} returns empty only when the key is absent; a present key of the wrong
 * type still throws. {@link #getInt} and {@link #getIntArray} are the lenient exceptions: they
 * accept any integer type whose values fit an {@code int}.
 */
public final class GgufFile {
    /** "GGUF" read as a little-endian u32. */
    public static final int MAGIC = 0x4655_4747;

    private final Path path;
    private final int version;
    private final int alignment;
    private final long dataOffset;
    private final long fileSize;
    private final Map<String, GgufValue> metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;

    GgufFile(
            Path path,
            int version,
            int alignment,
            long dataOffset,
            long fileSize,
            Map<String, GgufValue> metadata,
            List<GgufTensorInfo> tensors) {
        this.path = path;
        this.version = version;
        this.alignment = alignment;
        this.dataOffset = dataOffset;
        this.fileSize = fileSize;
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.tensors = List.copyOf(tensors);
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        for (GgufTensorInfo t : tensors) {
            byName.put(t.name(), t);
        }
        this.tensorsByName = Collections.unmodifiableMap(byName);
    }

    /** {@code v} rounded up to a multiple of {@code alignment} (a power of two), like {@code GGML_PAD}. */
    static long alignUp(long v, int alignment) {
        return (v + alignment - 1) & -(long) alignment;
    }

    public Path path() {
        return path;
    }

    /** The GGUF version (2 or 3). */
    public int version() {
        return version;
    }

    /** The data alignment: {@code general.alignment} or 32. */
    public int alignment() {
        return alignment;
    }

    /** Absolute file offset of the data section. */
    public long dataOffset() {
        return dataOffset;
    }

    /** The file's size when it was read. */
    public long fileSize() {
        return fileSize;
    }

    /** All metadata in file order (unmodifiable). */
    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    /** The metadata keys in file order. */
    public Set<String> keys() {
        return metadata.keySet();
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    /** The value of {@code key}. @throws GgufFormatException if the key is missing */
    public GgufValue value(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) {
            throw problem("missing key '" + key + "'");
        }
        return v;
    }

    public Optional<GgufValue> optionalValue(String key) {
        return Optional.ofNullable(metadata.get(key));
    }

    /**
     * Checks that {@code key} exists and is a scalar of type {@code type} (for {@link GgufValueType#ARRAY}:
     * any array).
     *
     * @return the value
     * @throws GgufFormatException if the key is missing or has another type
     */
    public GgufValue requireType(String key, GgufValueType type) {
        GgufValue v = metadata.get(key);
        if (v == null) {
            throw problem("missing key '" + key + "' (expected " + type + ")");
        }
        if (v.type() != type) {
            throw wrongType(key, type.toString(), v);
        }
        return v;
    }

    /**
     * Checks that {@code key} exists and is an array of {@code elementType}.
     *
     * @return the value
     * @throws GgufFormatException if the key is missing or has another type
     */
    public GgufValue requireArray(String key, GgufValueType elementType) {
        String expected = "ARRAY<" + elementType + ">";
        GgufValue v = metadata.get(key);
        if (v == null) {
            throw problem("missing key '" + key + "' (expected " + expected + ")");
        }
        if (!v.isArray() || v.elementType() != elementType) {
            throw wrongType(key, expected, v);
        }
        return v;
    }

    /** A STRING value. */
    public String getString(String key) {
        return requireType(key, GgufValueType.STRING).asString();
    }

    /** A UINT32 value (0 to 2^32-1); other integer types are refused, as llama.cpp would abort on them. */
    public long getU32(String key) {
        return requireType(key, GgufValueType.UINT32).asLong();
    }

    /** An INT32 value; other integer types are refused. */
    public int getI32(String key) {
        return (int) requireType(key, GgufValueType.INT32).asLong();
    }

    /** A value of any integer type that fits an int. */
    public int getInt(String key) {
        long v = getLong(key);
        if (v != (int) v) {
            throw problem("key '" + key + "' is " + metadata.get(key) + ", which does not fit in an int");
        }
        return (int) v;
    }

    /** A value of any integer type that fits a long. */
    public long getLong(String key) {
        GgufValue v = value(key);
        if (v.isArray() || !v.type().isInteger()) {
            throw wrongType(key, "an integer", v);
        }
        if (v.type() == GgufValueType.UINT64 && v.asRawLong() < 0) {
            throw problem("key '" + key + "' is " + v + ", which does not fit in a long");
        }
        return v.asRawLong();
    }

    /** A FLOAT32 value. */
    public float getFloat(String key) {
        return requireType(key, GgufValueType.FLOAT32).asFloat();
    }

    /** A FLOAT32 or FLOAT64 value. */
    public double getDouble(String key) {
        GgufValue v = value(key);
        if (v.type() != GgufValueType.FLOAT32 && v.type() != GgufValueType.FLOAT64) {
            throw wrongType(key, "FLOAT32 or FLOAT64", v);
        }
        return v.asDouble();
    }

    /** A BOOL value. */
    public boolean getBool(String key) {
        return requireType(key, GgufValueType.BOOL).asBoolean();
    }

    /**
     * An ARRAY&lt;STRING&gt; value, as an unmodifiable list that decodes an element each time one
     * is read ({@link GgufValue#asStringList}).
     */
    public List<String> getStringArray(String key) {
        return requireArray(key, GgufValueType.STRING).asStringList();
    }

    /** An ARRAY&lt;FLOAT32&gt; value (a copy). */
    public float[] getFloatArray(String key) {
        return requireArray(key, GgufValueType.FLOAT32).asFloatArray();
    }

    /** An array of any integer element type whose elements all fit an int (a copy). */
    public int[] getIntArray(String key) {
        long[] wide = getLongArray(key);
        int[] out = new int[wide.length];
        for (int i = 0; i < wide.length; i++) {
            if (wide[i] != (int) wide[i]) {
                throw problem("key '" + key + "' element " + i + " is " + wide[i] + ", which does not fit in an int");
            }
            out[i] = (int) wide[i];
        }
        return out;
    }

    /** An array of any integer element type whose elements all fit a long (a copy). */
    public long[] getLongArray(String key) {
        GgufValue v = value(key);
        if (!v.isArray() || !v.elementType().isInteger()) {
            throw wrongType(key, "an integer array", v);
        }
        long[] out = new long[v.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.integerAt(i);
            if (v.elementType() == GgufValueType.UINT64 && out[i] < 0) {
                throw problem("key '" + key + "' element " + i + " is " + Long.toUnsignedString(out[i])
                        + ", which does not fit in a long");
            }
        }
        return out;
    }

    public Optional<String> optionalString(String key) {
        return optional(key, this::getString);
    }

    public OptionalLong optionalU32(String key) {
        return has(key) ? OptionalLong.of(getU32(key)) : OptionalLong.empty();
    }

    public OptionalInt optionalInt(String key) {
        return has(key) ? OptionalInt.of(getInt(key)) : OptionalInt.empty();
    }

    public OptionalLong optionalLong(String key) {
        return has(key) ? OptionalLong.of(getLong(key)) : OptionalLong.empty();
    }

    public Optional<Float> optionalFloat(String key) {
        return optional(key, this::getFloat);
    }

    public Optional<Boolean> optionalBool(String key) {
        return optional(key, this::getBool);
    }

    public Optional<List<String>> optionalStringArray(String key) {
        return optional(key, this::getStringArray);
    }

    public Optional<int[]> optionalIntArray(String key) {
        return optional(key, this::getIntArray);
    }

    public Optional<float[]> optionalFloatArray(String key) {
        return optional(key, this::getFloatArray);
    }

    private <T> Optional<T> optional(String key, Function<String, T> getter) {
        return has(key) ? Optional.of(getter.apply(key)) : Optional.empty();
    }

    /** {@code general.architecture}, e.g. "llama" or "clip". */
    public String architecture() {
        return getString(GeneralKeys.ARCHITECTURE);
    }

    /** All tensor infos in file order (unmodifiable). */
    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    public boolean hasTensor(String name) {
        return tensorsByName.containsKey(name);
    }

    /** The tensor named {@code name}. @throws GgufFormatException if there is none */
    public GgufTensorInfo tensor(String name) {
        GgufTensorInfo t = tensorsByName.get(name);
        if (t == null) {
            throw problem("missing tensor '" + name + "'");
        }
        return t;
    }

    public Optional<GgufTensorInfo> findTensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    /** The absolute file offset of a tensor's data. */
    public long absoluteOffset(GgufTensorInfo tensor) {
        return dataOffset + tensor.offset();
    }

    /**
     * Reads one tensor's raw bytes from disk into a new heap buffer (little-endian, position 0).
     * For tests and tools: model weights are for native code to map, not for the Java heap.
     *
     * @throws GgufFormatException if there is no such tensor, it is larger than 2 GiB, or the file
     *     cannot be read (code IO) or has shrunk since it was read
     */
    public ByteBuffer readTensorBytes(String name) {
        return GgufTensorData.readBytes(this, tensor(name));
    }

    /**
     * Reads an F32, F16 or BF16 tensor as floats (in ggml order: {@code ne0} fastest).
     *
     * @throws GgufFormatException as {@link #readTensorBytes}, or if the tensor has another type
     */
    public float[] readTensorFloats(String name) {
        return GgufTensorData.readFloats(this, tensor(name));
    }

    GgufFormatException problem(String message) {
        return new GgufFormatException(path, message);
    }

    private GgufFormatException wrongType(String key, String expected, GgufValue actual) {
        return problem("key '" + key + "' has type " + actual.typeName() + ", expected " + expected);
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.size() + " keys, " + tensors.size() + " tensors]";
    }
}
