package io.llava4j.convert.checkpoint;

import io.llava4j.Llava4jException.Code;
import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the header of one {@code .safetensors} file: an unsigned little-endian 64-bit header size
 * {@code N}, {@code N} bytes of UTF-8 JSON mapping each tensor name to {@code dtype}, {@code shape}
 * and {@code data_offsets} (begin, end; relative to the byte after the header), and an optional
 * {@code __metadata__} string map; then the data. Everything is validated before a tensor is
 * handed out (the format's own rules, as the {@code safetensors} crate checks them): header size
 * at most 100 MB, known dtypes, offsets inside the file, each tensor's byte count matching its
 * shape. Tensor data is not read here.
 */
public final class SafetensorsFile {
    /** The safetensors crate's limit on the header size. */
    static final long MAX_HEADER = 100_000_000L;

    private SafetensorsFile() {}

    /** The tensors of {@code file}, in header order, plus the open channel (caller closes it). */
    record Opened(FileChannel channel, Map<String, CheckpointTensor> tensors, Map<String, String> metadata) {}

    /**
     * Opens {@code file} and reads its header.
     *
     * @throws CheckpointException {@code IO} if it cannot be read, {@code INVALID_FILE} if it is malformed
     */
    static Opened open(Path file) {
        return WeightFiles.open(file, SafetensorsFile::parse);
    }

    /** Opens a single safetensors file as a checkpoint. */
    public static Checkpoint openCheckpoint(Path file) {
        Opened o = open(file);
        return new Checkpoint(file, o.tensors(), List.of(o.channel()));
    }

    private static Opened parse(Path file, FileChannel ch) {
        long fileSize;
        ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        byte[] json;
        try {
            fileSize = ch.size();
            if (fileSize < 8) {
                throw new CheckpointException(file, "too short for a safetensors file (" + fileSize + " bytes)");
            }
            readFully(ch, head, 0);
            long n = head.getLong(0);
            if (n < 2 || n > MAX_HEADER) {
                throw new CheckpointException(
                        file,
                        "safetensors header size " + Long.toUnsignedString(n) + " is out of range (2 to " + MAX_HEADER
                                + " bytes): not a safetensors file?");
            }
            if (8 + n > fileSize) {
                throw new CheckpointException(
                        file,
                        "truncated: the header claims " + n + " bytes, the file has " + (fileSize - 8)
                                + " after the size");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8);
            json = hb.array();
        } catch (IOException e) {
            throw new CheckpointException(Code.IO, file, "cannot read the header: " + e, e);
        }
        if (json[0] != '{') {
            throw new CheckpointException(file, "the safetensors header is not a JSON object");
        }
        Object root = Json.parse(json, file);
        if (!(root instanceof Map)) {
            throw new CheckpointException(file, "the safetensors header is not a JSON object");
        }
        long dataStart = 8 + json.length;
        long dataSize = fileSize - dataStart;
        Map<String, CheckpointTensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : Json.asObject(root).entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                if (e.getValue() instanceof Map<?, ?> m) {
                    m.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
                }
                continue;
            }
            tensors.put(name, tensor(file, ch, name, e.getValue(), dataStart, dataSize));
        }
        return new Opened(ch, tensors, metadata);
    }

    private static CheckpointTensor tensor(
            Path file, FileChannel ch, String name, Object spec, long dataStart, long dataSize) {
        if (!(spec instanceof Map)) {
            throw bad(file, name, "its entry is not an object");
        }
        Map<String, Object> m = Json.asObject(spec);
        Object dt = m.get("dtype");
        DType dtype = dt instanceof String s ? DType.fromSafetensors(s) : null;
        if (dtype == null) {
            throw bad(file, name, "unknown dtype " + dt);
        }
        long[] shape = longs(file, name, m.get("shape"), "shape", -1);
        long[] offsets = longs(file, name, m.get("data_offsets"), "data_offsets", 2);
        long elements;
        try {
            elements = CheckpointTensor.elementCount(shape);
            Math.multiplyExact(elements, (long) dtype.size());
        } catch (ArithmeticException ex) {
            throw bad(file, name, "shape " + java.util.Arrays.toString(shape) + " is invalid or too large");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < begin || end > dataSize) {
            throw bad(
                    file,
                    name,
                    "data_offsets [" + begin + ", " + end + "] lie outside the " + dataSize
                            + " data bytes (truncated file?)");
        }
        if (end - begin != elements * dtype.size()) {
            throw bad(
                    file,
                    name,
                    "data_offsets cover " + (end - begin) + " bytes, but " + dtype + " "
                            + java.util.Arrays.toString(shape) + " takes " + elements * dtype.size());
        }
        return new CheckpointTensor(name, dtype, shape, file, ch::read, dataStart + begin);
    }

    private static long[] longs(Path file, String name, Object v, String what, int expectedLength) {
        if (!(v instanceof List)) {
            throw bad(file, name, what + " is missing or not a list");
        }
        List<Object> l = Json.asList(v);
        if (expectedLength >= 0 && l.size() != expectedLength) {
            throw bad(file, name, what + " must have " + expectedLength + " entries");
        }
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Long x) || x < 0) {
                throw bad(file, name, what + " holds " + l.get(i) + ", not a non-negative integer");
            }
            out[i] = x;
        }
        return out;
    }

    private static CheckpointException bad(Path file, String name, String problem) {
        return new CheckpointException(file, "tensor '" + name + "': " + problem);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        long p = pos;
        while (b.hasRemaining()) {
            int r = ch.read(b, p);
            if (r < 0) {
                throw new java.io.EOFException("unexpected end of file");
            }
            p += r;
        }
    }
}
