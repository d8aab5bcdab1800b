package io.llava4j.gguf;

import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and validates the header of a GGUF file: metadata and tensor infos, never tensor data.
 *
 * <p>The layout is the one {@code gguf_init_from_reader} in {@code ggml/src/gguf.cpp} of the
 * pinned llama.cpp reads: magic {@code "GGUF"}, u32 version, u64 tensor count, u64 metadata count,
 * the metadata pairs, the tensor infos, padding to {@code general.alignment} (default 32), then the
 * data section, all little-endian. Refused with a {@link GgufFormatException} naming the file and
 * the problem: wrong magic, a version other than 2 or 3, truncation anywhere, counts and lengths
 * that cannot fit in the bytes left (checked before any allocation), unknown value or ggml types,
 * arrays of arrays, empty or duplicate keys and tensor names, tensor names of 64 bytes or more,
 * invalid UTF-8, a {@code general.alignment} that is not a UINT32 power of two, 0 or more than 4
 * dimensions, non-positive or overflowing dimensions, a row size that is not a whole number of
 * blocks, unaligned tensor offsets, tensor data past the end of the file, and overlapping tensors.
 *
 * <p>Where this reader and llama.cpp differ: llama.cpp accepts zero-sized dimensions and malformed
 * UTF-8, which this reader refuses; llama.cpp in turn demands that tensors are stored back to back
 * in header order, which this reader does not check (the Python {@code gguf} writer and
 * {@link GgufWriter} produce that layout anyway). Every other refusal above is one llama.cpp makes
 * too, or (past-the-end data, at load time) its model loader.
 *
 * <p>Thread-safe: {@link #read} keeps no state between calls.
 */
public final class GgufReader {
    /** Versions this reader understands (v1 had 32-bit lengths and is rejected by llama.cpp too). */
    public static final int MIN_VERSION = 2;

    public static final int MAX_VERSION = 3;
    /** {@code GGUF_DEFAULT_ALIGNMENT}. */
    public static final int DEFAULT_ALIGNMENT = 32;
    /** The metadata key that overrides the alignment; must be a UINT32 power of two. */
    public static final String ALIGNMENT_KEY = GeneralKeys.ALIGNMENT;
    /** {@code GGUF_MAX_STRING_LENGTH}. */
    static final long MAX_STRING_BYTES = 1L << 30;
    /** {@code GGUF_MAX_ARRAY_ELEMENTS}. */
    static final long MAX_ARRAY_ELEMENTS = 1L << 30;

    /** Smallest metadata pair: u64 key length, a 1-byte key, u32 type, a 1-byte value. */
    private static final long MIN_KV_BYTES = 8 + 1 + 4 + 1;
    /** Smallest tensor info: u64 name length, 1-byte name, u32 n_dims, one u64 dim, u32 type, u64 offset. */
    private static final long MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 8 + 4 + 8;

    private GgufReader() {}

    /**
     * Reads and validates the header of a GGUF file.
     *
     * @param path the file
     * @return the file's metadata and tensor infos; tensor data stays on disk
     * @throws GgufFormatException with {@link Code#IO} if the file is missing or unreadable, with
     *     {@link Code#INVALID_FILE} if it is not a valid GGUF file (the message says why)
     */
    public static GgufFile read(Path path) {
        if (Files.isDirectory(path)) {
            throw new GgufFormatException(Code.IO, path, "is a directory, not a GGUF file", null);
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return parse(path, new GgufInput(path, ch, ch.size()));
        } catch (NoSuchFileException e) {
            throw new GgufFormatException(Code.IO, path, "file not found", e);
        } catch (AccessDeniedException e) {
            throw new GgufFormatException(Code.IO, path, "permission denied", e);
        } catch (IOException e) {
            throw new GgufFormatException(Code.IO, path, "cannot read file: " + e, e);
        }
    }

    private static GgufFile parse(Path path, GgufInput in) throws IOException {
        if (in.size() < 4) {
            throw in.fail("is not a GGUF file: only " + in.size() + " bytes long");
        }
        int magic = in.i32("magic");
        if (magic != GgufFile.MAGIC) {
            throw in.fail("is not a GGUF file: magic is 0x" + String.format("%08x", Integer.reverseBytes(magic))
                    + ", expected 0x47475546 (\"GGUF\")");
        }
        long version = in.u32("version");
        if (version < MIN_VERSION || version > MAX_VERSION) {
            throw in.fail("unsupported GGUF version " + version + " (supported: " + MIN_VERSION + " to " + MAX_VERSION
                    + (version > 0xFFFF ? "; is the file big-endian?" : "") + ")");
        }
        long nTensors = in.u64("tensor count");
        long nKv = in.u64("metadata count");
        checkCount(in, nKv, MIN_KV_BYTES, "metadata count");
        checkCount(in, nTensors, MIN_TENSOR_INFO_BYTES, "tensor count");
        if (nKv * MIN_KV_BYTES + nTensors * MIN_TENSOR_INFO_BYTES > in.remaining()) {
            throw in.fail("metadata count " + nKv + " and tensor count " + nTensors + " cannot fit in the "
                    + in.remaining() + " bytes left: the file is truncated or corrupt");
        }

        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            String key = in.string("key #" + i);
            if (key.isEmpty()) {
                throw in.fail("key #" + i + " is empty");
            }
            if (metadata.containsKey(key)) {
                throw in.fail("duplicate key '" + key + "'");
            }
            metadata.put(key, GgufValueIO.read(in, key));
        }
        int alignment = alignment(in, metadata.get(ALIGNMENT_KEY));

        List<GgufTensorInfo> tensors = new ArrayList<>((int) nTensors);
        Set<String> names = new HashSet<>();
        for (long i = 0; i < nTensors; i++) {
            GgufTensorInfo t = readTensorInfo(in, i, alignment);
            if (!names.add(t.name())) {
                throw in.fail("duplicate tensor name '" + t.name() + "'");
            }
            tensors.add(t);
        }

        long dataOffset = in.position();
        if (nTensors > 0) {
            dataOffset = GgufFile.alignUp(dataOffset, alignment);
            if (dataOffset > in.size()) {
                throw in.fail("file is truncated: the data section would start at offset " + dataOffset
                        + " but the file has only " + in.size() + " bytes");
            }
        }
        checkDataLayout(in, tensors, dataOffset);
        return new GgufFile(path, (int) version, alignment, dataOffset, in.size(), metadata, tensors);
    }

    private static void checkCount(GgufInput in, long count, long minBytes, String what) {
        if (count < 0 || count > in.remaining() / minBytes) {
            throw in.fail(what + " " + Long.toUnsignedString(count) + " cannot fit in the " + in.remaining()
                    + " bytes left (each entry takes at least " + minBytes + "): the file is truncated or corrupt");
        }
    }

    private static int alignment(GgufInput in, GgufValue v) {
        if (v == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (v.type() != GgufValueType.UINT32) {
            throw in.fail("key '" + ALIGNMENT_KEY + "' has type " + v.typeName() + ", expected UINT32");
        }
        long a = v.asLong();
        if (a == 0 || Long.bitCount(a) != 1 || a > (1 << 30)) {
            throw in.fail("key '" + ALIGNMENT_KEY + "' is " + a + ", expected a power of two up to 2^30");
        }
        return (int) a;
    }

    private static GgufTensorInfo readTensorInfo(GgufInput in, long index, int alignment) throws IOException {
        String name = in.string("name of tensor #" + index);
        if (name.isEmpty()) {
            throw in.fail("tensor #" + index + " has an empty name");
        }
        int nameBytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (nameBytes >= GgufTensorInfo.MAX_NAME_BYTES) {
            throw in.fail("tensor name '" + name + "' is " + nameBytes + " bytes long, llama.cpp allows at most "
                    + (GgufTensorInfo.MAX_NAME_BYTES - 1));
        }
        String what = "tensor '" + name + "'";
        long nDims = in.u32(what + " n_dims");
        if (nDims < 1 || nDims > GgufTensorInfo.MAX_DIMS) {
            throw in.fail(what + " has " + nDims + " dimensions, expected 1 to " + GgufTensorInfo.MAX_DIMS);
        }
        long[] dims = new long[(int) nDims];
        for (int d = 0; d < nDims; d++) {
            dims[d] = in.u64(what + " dimension " + d);
        }
        long typeId = in.u32(what + " type");
        GgmlType type = GgmlType.fromId(typeId);
        if (type == null) {
            throw in.fail(what + " has unknown ggml type " + typeId);
        }
        long offset = in.u64(what + " offset");
        String problem = GgufTensorInfo.shapeProblem(type, dims);
        if (problem != null) {
            throw in.fail(what + " " + problem);
        }
        if (offset < 0 || offset % alignment != 0) {
            throw in.fail(what + " has offset " + Long.toUnsignedString(offset)
                    + ", which is not a multiple of the alignment " + alignment);
        }
        return new GgufTensorInfo(name, type, dims, offset);
    }

    private static void checkDataLayout(GgufInput in, List<GgufTensorInfo> tensors, long dataOffset) {
        long dataBytes = in.size() - dataOffset;
        for (GgufTensorInfo t : tensors) {
            if (t.offset() > dataBytes || t.byteSize() > dataBytes - t.offset()) {
                throw in.fail("file is truncated: tensor '" + t.name() + "' (" + t.byteSize() + " bytes at data offset "
                        + t.offset() + ") runs past the end of the file (data section is " + dataBytes + " bytes)");
            }
        }
        List<GgufTensorInfo> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            GgufTensorInfo a = byOffset.get(i - 1);
            GgufTensorInfo b = byOffset.get(i);
            if (a.offset() + a.byteSize() > b.offset()) {
                throw in.fail("tensors '" + a.name() + "' [" + a.offset() + ", " + (a.offset() + a.byteSize())
                        + ") and '" + b.name() + "' [" + b.offset() + ", " + (b.offset() + b.byteSize()) + ") overlap");
            }
        }
    }
}
