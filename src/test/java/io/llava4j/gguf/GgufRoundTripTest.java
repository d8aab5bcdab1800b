package io.llava4j.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writer → reader round trips of every value type, unicode, tensors of several types and layouts. */
class GgufRoundTripTest {
    @TempDir
    Path dir;

    /** One value of every scalar and array type, with edge values, in a fixed order. */
    static Map<String, GgufValue> allValues() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("t.u8", GgufValue.uint8(255));
        m.put("t.i8", GgufValue.int8(-128));
        m.put("t.u16", GgufValue.uint16(65535));
        m.put("t.i16", GgufValue.int16(-32768));
        m.put("t.u32", GgufValue.uint32(0xFFFF_FFFFL));
        m.put("t.i32", GgufValue.int32(Integer.MIN_VALUE));
        m.put("t.f32", GgufValue.float32(-0.0f));
        m.put("t.f32.nan", GgufValue.float32(Float.NaN));
        m.put("t.f32.sub", GgufValue.float32(Float.MIN_VALUE));
        m.put("t.bool.t", GgufValue.bool(true));
        m.put("t.bool.f", GgufValue.bool(false));
        m.put("t.str", GgufValue.string("héllo wörld – 世界 🎉"));
        m.put("t.str.empty", GgufValue.string(""));
        m.put("t.u64", GgufValue.uint64(-1L)); // 2^64 - 1
        m.put("t.i64", GgufValue.int64(Long.MIN_VALUE));
        m.put("t.f64", GgufValue.float64(Math.PI));
        m.put("t.a.u8", GgufValue.uint8Array((byte) 0, (byte) 0xFF, (byte) 7));
        m.put("t.a.i8", GgufValue.int8Array((byte) -1, (byte) 127));
        m.put("t.a.u16", GgufValue.uint16Array((short) 0xFFFF, (short) 1));
        m.put("t.a.i16", GgufValue.int16Array((short) -2, (short) 300));
        m.put("t.a.u32", GgufValue.uint32Array(-1, 5));
        m.put("t.a.i32", GgufValue.int32Array(336, 672, -1));
        m.put("t.a.f32", GgufValue.float32Array(0.48145466f, 0.4578275f, 0.40821073f));
        m.put("t.a.bool", GgufValue.boolArray(true, false, true));
        m.put("t.a.str", GgufValue.stringArray(List.of("<s>", "", "▁the", "Ġ世界", "🎉")));
        m.put("t.a.u64", GgufValue.uint64Array(Long.MIN_VALUE, 3));
        m.put("t.a.i64", GgufValue.int64Array(-5, Long.MAX_VALUE));
        m.put("t.a.f64", GgufValue.float64Array(1e300, -1e-300));
        m.put("t.a.empty", GgufValue.int32Array());
        m.put("t.a.str.empty", GgufValue.stringArray(List.of()));
        return m;
    }

    @Test
    void everyValueTypeRoundTripsInOrder() throws IOException {
        GgufWriter w = new GgufWriter();
        allValues().forEach(w::put);
        Path p = dir.resolve("values.gguf");
        w.write(p);

        GgufFile f = GgufReader.read(p);
        assertEquals(3, f.version());
        assertEquals(32, f.alignment());
        assertEquals(new ArrayList<>(allValues().keySet()), new ArrayList<>(f.keys()));
        assertEquals(allValues(), f.metadata());
        assertTrue(f.tensors().isEmpty());
        assertEquals(Files.size(p), f.fileSize());

        assertEquals("héllo wörld – 世界 🎉", f.getString("t.str"));
        assertEquals(0xFFFF_FFFFL, f.getU32("t.u32"));
        assertEquals(Integer.MIN_VALUE, f.getI32("t.i32"));
        assertEquals(255, f.getInt("t.u8"));
        assertEquals(-32768, f.getInt("t.i16"));
        assertEquals(Long.MIN_VALUE, f.getLong("t.i64"));
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(f.getFloat("t.f32")));
        assertTrue(Float.isNaN(f.getFloat("t.f32.nan")));
        assertEquals(Math.PI, f.getDouble("t.f64"));
        assertTrue(f.getBool("t.bool.t"));
        assertFalse(f.getBool("t.bool.f"));
        assertEquals(List.of("<s>", "", "▁the", "Ġ世界", "🎉"), f.getStringArray("t.a.str"));
        assertArrayEquals(new int[] {336, 672, -1}, f.getIntArray("t.a.i32"));
        assertArrayEquals(new int[] {0, 255, 7}, f.getIntArray("t.a.u8"));
        assertArrayEquals(new int[] {65535, 1}, f.getIntArray("t.a.u16"));
        assertArrayEquals(new long[] {0xFFFF_FFFFL, 5}, f.getLongArray("t.a.u32"));
        assertArrayEquals(new float[] {0.48145466f, 0.4578275f, 0.40821073f}, f.getFloatArray("t.a.f32"));
        assertArrayEquals(new int[0], f.getIntArray("t.a.empty"));
        assertEquals("ARRAY<STRING>", f.value("t.a.str.empty").typeName());
        assertEquals(0, f.value("t.a.str.empty").length());
        assertEquals(-1L, f.value("t.u64").asRawLong());
    }

    @Test
    void tensorsOfSeveralTypesRoundTripWithAlignedBackToBackLayout() throws IOException {
        Random rnd = new Random(7);
        float[] f32 = new float[5 * 3 * 2];
        float[] f16 = new float[64 * 3];
        float[] bf16 = new float[10];
        for (float[] a : List.of(f32, f16, bf16)) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rnd.nextGaussian();
            }
        }
        byte[] q8 = new byte[2 * 2 * 34]; // 2 rows of 64 = 2 blocks of 32 each
        byte[] q4k = new byte[144];
        byte[] i32 = new byte[4 * 7];
        rnd.nextBytes(q8);
        rnd.nextBytes(q4k);
        rnd.nextBytes(i32);

        Path p = dir.resolve("tensors.gguf");
        new GgufWriter()
                .putString("general.architecture", "test")
                .addTensor("a.f32", GgmlType.F32, new long[] {5, 3, 2}, f32)
                .addTensor("b.f16", GgmlType.F16, new long[] {64, 3}, f16)
                .addTensor("c.q8_0", GgmlType.Q8_0, new long[] {64, 2}, ByteBuffer.wrap(q8))
                .addTensor("d.bf16", GgmlType.BF16, new long[] {10}, bf16)
                .addTensor("e.q4_K", GgmlType.Q4_K, new long[] {256, 1, 1, 1}, ByteBuffer.wrap(q4k))
                .addTensor("f.i32", GgmlType.I32, new long[] {7}, ByteBuffer.wrap(i32))
                .write(p);

        GgufFile f = GgufReader.read(p);
        assertEquals(
                List.of("a.f32", "b.f16", "c.q8_0", "d.bf16", "e.q4_K", "f.i32"),
                f.tensors().stream().map(GgufTensorInfo::name).toList());
        long expectedOffset = 0;
        for (GgufTensorInfo t : f.tensors()) {
            assertEquals(expectedOffset, t.offset(), t.name());
            assertEquals(0, f.absoluteOffset(t) % 32, t.name());
            expectedOffset += (t.byteSize() + 31) / 32 * 32;
        }
        assertEquals(f.dataOffset() + expectedOffset, Files.size(p), "last tensor is padded like gguf_write_out does");

        assertArrayEquals(f32, f.readTensorFloats("a.f32"));
        float[] f16Back = f.readTensorFloats("b.f16");
        for (int i = 0; i < f16.length; i++) {
            assertEquals(HalfFloat.toFloat(HalfFloat.fromFloat(f16[i])), f16Back[i]);
            assertEquals(f16[i], f16Back[i], Math.abs(f16[i]) / 1024 + 1e-7);
        }
        float[] bf16Back = f.readTensorFloats("d.bf16");
        for (int i = 0; i < bf16.length; i++) {
            assertEquals(bf16[i], bf16Back[i], Math.abs(bf16[i]) / 128);
        }
        assertEquals(ByteBuffer.wrap(q8), f.readTensorBytes("c.q8_0"));
        assertEquals(ByteBuffer.wrap(q4k), f.readTensorBytes("e.q4_K"));
        assertEquals(ByteBuffer.wrap(i32), f.readTensorBytes("f.i32"));
        assertEquals(ByteOrder.LITTLE_ENDIAN, f.readTensorBytes("f.i32").order());

        GgufTensorInfo t = f.tensor("a.f32");
        assertArrayEquals(new long[] {5, 3, 2}, t.dims());
        assertEquals(3, t.nDims());
        assertEquals(1, t.dim(3));
        assertEquals(30, t.elementCount());
        assertEquals(4, f.tensor("e.q4_K").nDims());
        assertEquals(144, f.tensor("e.q4_K").byteSize());
    }

    @Test
    void customAlignmentIsHonoured() {
        Path p = dir.resolve("align.gguf");
        new GgufWriter()
                .alignment(64)
                .putString("k", "v")
                .addTensor("x", GgmlType.F32, new long[] {3}, new float[] {1, 2, 3})
                .addTensor("y", GgmlType.F32, new long[] {2}, new float[] {4, 5})
                .write(p);
        GgufFile f = GgufReader.read(p);
        assertEquals(64, f.alignment());
        assertEquals(64, f.getU32("general.alignment"));
        assertEquals(0, f.dataOffset() % 64);
        assertEquals(64, f.tensor("y").offset());
        assertArrayEquals(new float[] {4, 5}, f.readTensorFloats("y"));
    }

    @Test
    void copyingMetadataAndTensorsReproducesTheFileByteForByte() throws IOException {
        Path a = dir.resolve("a.gguf");
        GgufWriter w = new GgufWriter();
        allValues().forEach(w::put);
        w.addTensor("w", GgmlType.F16, new long[] {32, 4}, new float[128])
                .addTensor("q", GgmlType.Q8_0, new long[] {32}, ByteBuffer.allocate(34))
                .write(a);
        GgufFile src = GgufReader.read(a);

        Path b = dir.resolve("b.gguf");
        GgufWriter copy = new GgufWriter().copyMetadata(src);
        for (GgufTensorInfo t : src.tensors()) {
            copy.copyTensor(src, t.name());
        }
        copy.write(b);
        assertEquals(-1, Files.mismatch(a, b));
    }

    @Test
    void putReplacesInPlaceAndRemoveDeletes() {
        GgufWriter w = new GgufWriter()
                .putU32("a", 1)
                .putString("b", "x")
                .putU32("a", 2)
                .putBool("c", true)
                .remove("c");
        assertEquals(List.of("a", "b"), new ArrayList<>(w.metadata().keySet()));
        assertEquals(GgufValue.uint32(2), w.metadata().get("a"));
    }
}
