package io.llava4j.convert;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes float32 tensors in the weight-file formats the converter reads, as their producers lay
 * them out: safetensors (single or sharded with {@code model.safetensors.index.json}), PyTorch's zip
 * {@code .bin} ({@code torch.save}: {@code archive/data.pkl} + stored {@code archive/data/<key>}) and
 * Paddle's {@code .pdparams} ({@code paddle.save}: a pickled dict of {@code (name, ndarray)}).
 */
final class CheckpointFiles {
    /** A float32 tensor in PyTorch order. */
    record Tensor(long[] shape, float[] data) {}

    private CheckpointFiles() {}

    static byte[] le(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    static void safetensors(Path file, Map<String, Tensor> tensors) {
        StringBuilder h = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long off = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            long n = e.getValue().data().length * 4L;
            h.append(",\"")
                    .append(e.getKey())
                    .append("\":{\"dtype\":\"F32\",\"shape\":")
                    .append(json(e.getValue().shape()))
                    .append(",\"data_offsets\":[")
                    .append(off)
                    .append(',')
                    .append(off + n)
                    .append("]}");
            off += n;
        }
        h.append('}');
        while ((h.length() + 8) % 8 != 0) {
            h.append(' ');
        }
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(header.length)
                    .array());
            out.write(header);
            for (Tensor t : tensors.values()) {
                out.write(le(t.data()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code model-0000k-of-0000n.safetensors} shards plus {@code model.safetensors.index.json}. */
    static void shardedSafetensors(Path dir, Map<String, Tensor> tensors, int shards) {
        List<Map<String, Tensor>> parts = new ArrayList<>();
        for (int i = 0; i < shards; i++) {
            parts.add(new LinkedHashMap<>());
        }
        int i = 0;
        StringBuilder index = new StringBuilder("{\"metadata\":{},\"weight_map\":{");
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            int s = i++ * shards / tensors.size();
            parts.get(s).put(e.getKey(), e.getValue());
            index.append(i > 1 ? "," : "")
                    .append('"')
                    .append(e.getKey())
                    .append("\":\"")
                    .append(shardName(s, shards))
                    .append('"');
        }
        index.append("}}");
        for (int s = 0; s < shards; s++) {
            safetensors(dir.resolve(shardName(s, shards)), parts.get(s));
        }
        write(dir.resolve("model.safetensors.index.json"), index.toString());
    }

    private static String shardName(int s, int n) {
        // ROOT: %d takes the default locale's digits (Persian, Arabic, Devanagari...); shard names are ASCII
        return String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, n);
    }

    /** A {@code torch.save(state_dict)} zip: protocol 2 pickle, one stored storage entry per tensor. */
    static void torchZip(Path file, Map<String, Tensor> tensors) {
        PickleWriter p = new PickleWriter()
                .proto(2)
                .global("collections", "OrderedDict")
                .emptyTuple()
                .reduce()
                .mark();
        int key = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            long[] shape = e.getValue().shape();
            p.str(e.getKey()).global("torch._utils", "_rebuild_tensor_v2").mark();
            p.mark()
                    .str("storage")
                    .global("torch", "FloatStorage")
                    .str(Integer.toString(key++))
                    .str("cpu")
                    .integer(e.getValue().data().length)
                    .tuple()
                    .binPersId();
            p.integer(0)
                    .intTuple(shape)
                    .intTuple(strides(shape))
                    .bool(false)
                    .global("collections", "OrderedDict")
                    .emptyTuple()
                    .reduce()
                    .tuple()
                    .reduce();
        }
        p.setItems().stop();
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            stored(zip, "archive/data.pkl", p.toByteArray());
            key = 0;
            for (Tensor t : tensors.values()) {
                stored(zip, "archive/data/" + key++, le(t.data()));
            }
            stored(zip, "archive/version", "3\n".getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    /** {@code paddle.save(state_dict)}: protocol 4, each value {@code (name, ndarray)} via {@code builtins.tuple}. */
    static void pdparams(Path file, Map<String, Tensor> tensors) {
        PickleWriter p = new PickleWriter().proto(4).emptyDict().mark();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            p.str(e.getKey()).global("builtins", "tuple").mark().mark().str(e.getKey());
            ndarray(p, e.getValue());
            p.tuple().tuple().reduce();
        }
        p.setItems().stop();
        try {
            Files.write(file, p.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** NumPy's {@code ndarray.__reduce__}: {@code _reconstruct(ndarray, (0,), b'b')} + BUILD state. */
    static void ndarray(PickleWriter p, Tensor t) {
        p.global("numpy.core.multiarray", "_reconstruct")
                .mark()
                .global("numpy", "ndarray")
                .intTuple(0)
                .bytes(new byte[] {'b'})
                .tuple()
                .reduce();
        p.mark().integer(1).intTuple(t.shape());
        p.global("numpy", "dtype")
                .mark()
                .str("f4")
                .bool(false)
                .bool(true)
                .tuple()
                .reduce()
                .mark()
                .integer(3)
                .str("<")
                .none()
                .none()
                .none()
                .integer(-1)
                .integer(-1)
                .integer(0)
                .tuple()
                .build();
        p.bool(false).bytes(le(t.data())).tuple().build();
    }

    static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    static String json(long[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            b.append(i > 0 ? "," : "").append(v[i]);
        }
        return b.append(']').toString();
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
