package io.llava4j.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Strict typed getters (they guard against llama.cpp's abort on a wrong-typed key, REFERENCE.md
 * section 6) and the writer's argument checks.
 */
class GgufTypedGettersTest {
    @TempDir
    Path dir;

    Path path;
    GgufFile file;

    @BeforeEach
    void write() {
        path = dir.resolve("typed.gguf");
        GgufWriter w = new GgufWriter();
        GgufRoundTripTest.allValues().forEach(w::put);
        w.putI32("clip.vision.image_size", 336) // the classic mistake: INT32 where clip.cpp wants UINT32
                .putU32("small.u32", 42)
                .putU64("small.u64", 7)
                .put("small.u32arr", GgufValue.uint32Array(1, 2, 3))
                .addTensor("t", GgmlType.F32, new long[] {2}, new float[] {1, 2})
                .write(path);
        file = GgufReader.read(path);
    }

    private void assertProblem(Executable call, String... fragments) {
        GgufFormatException e = assertThrows(GgufFormatException.class, call);
        assertEquals(Code.INVALID_FILE, e.code());
        assertEquals(path, e.file());
        assertTrue(e.getMessage().startsWith(path + ": "), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "'" + f + "' not in: " + e.getMessage());
        }
    }

    @Test
    void wrongTypeNamesFileKeyExpectedAndActualType() {
        assertProblem(() -> file.getU32("clip.vision.image_size"), "'clip.vision.image_size'", "INT32", "UINT32");
        assertProblem(
                () -> file.requireType("clip.vision.image_size", GgufValueType.UINT32),
                "has type INT32, expected UINT32");
        assertProblem(() -> file.getString("t.u32"), "'t.u32'", "UINT32", "STRING");
        assertProblem(() -> file.getFloat("t.f64"), "FLOAT64", "FLOAT32");
        assertProblem(() -> file.getBool("t.u8"), "UINT8", "BOOL");
        assertProblem(() -> file.getStringArray("t.str"), "STRING", "ARRAY<STRING>");
        assertProblem(() -> file.getFloatArray("t.a.f64"), "ARRAY<FLOAT64>", "ARRAY<FLOAT32>");
        assertProblem(() -> file.requireArray("t.a.i32", GgufValueType.UINT32), "ARRAY<INT32>", "ARRAY<UINT32>");
        assertProblem(() -> file.getIntArray("t.a.str"), "ARRAY<STRING>", "integer array");
        assertProblem(() -> file.getInt("t.str"), "STRING", "an integer");
    }

    @Test
    void missingKeysAndTensorsAreNamed() {
        assertProblem(() -> file.getU32("nope"), "missing key 'nope'", "UINT32");
        assertProblem(() -> file.value("nope"), "missing key 'nope'");
        assertProblem(() -> file.tensor("nope"), "missing tensor 'nope'");
        assertFalse(file.has("nope"));
        assertTrue(file.hasTensor("t"));
        assertTrue(file.findTensor("nope").isEmpty());
    }

    @Test
    void getIntAcceptsAnyIntegerThatFits() {
        assertEquals(336, file.getInt("clip.vision.image_size"));
        assertEquals(42, file.getInt("small.u32"));
        assertEquals(7, file.getInt("small.u64"));
        assertEquals(-128, file.getInt("t.i8"));
        assertProblem(() -> file.getInt("t.u32"), "4294967295", "does not fit in an int");
        assertProblem(() -> file.getLong("t.u64"), "18446744073709551615", "does not fit in a long");
        assertArrayEquals(new int[] {1, 2, 3}, file.getIntArray("small.u32arr"));
        assertProblem(() -> file.getIntArray("t.a.u32"), "element 0", "does not fit in an int");
        assertProblem(() -> file.getLongArray("t.a.u64"), "element 0", "does not fit in a long");
    }

    @Test
    void optionalGettersAreEmptyOnlyWhenTheKeyIsAbsent() {
        assertTrue(file.optionalU32("nope").isEmpty());
        assertTrue(file.optionalString("nope").isEmpty());
        assertTrue(file.optionalIntArray("nope").isEmpty());
        assertEquals(OptionalInt.of(42), file.optionalInt("small.u32"));
        assertEquals(42, file.optionalU32("small.u32").getAsLong());
        assertEquals(
                List.of("<s>", "", "▁the", "Ġ世界", "🎉"),
                file.optionalStringArray("t.a.str").orElseThrow());
        assertProblem(() -> file.optionalU32("clip.vision.image_size"), "INT32", "UINT32");
        assertProblem(() -> file.optionalFloat("t.f64"), "FLOAT64", "FLOAT32");
        assertProblem(() -> file.optionalBool("t.str"), "STRING", "BOOL");
        assertProblem(() -> file.optionalFloatArray("t.a.i32"), "ARRAY<INT32>");
    }

    @Test
    void tensorDataOfOtherTypesCannotBeReadAsFloats() {
        Path q = dir.resolve("q.gguf");
        new GgufWriter()
                .addTensor("q", GgmlType.Q4_0, new long[] {32}, ByteBuffer.allocate(18))
                .write(q);
        GgufFile f = GgufReader.read(q);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> f.readTensorFloats("q"));
        assertTrue(e.getMessage().contains("q4_0"), e.getMessage());
    }

    private static void assertInvalidArgument(Executable call, String fragment) {
        Llava4jException e = assertThrows(Llava4jException.class, call);
        assertEquals(Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains(fragment), () -> "'" + fragment + "' not in: " + e.getMessage());
    }

    @Test
    void writerRefusesBadTensorsAndBadSourcesAndLeavesNoFile() throws Exception {
        GgufWriter w = new GgufWriter().addTensor("a", GgmlType.F32, new long[] {1}, new float[1]);
        assertInvalidArgument(
                () -> w.addTensor("a", GgmlType.F32, new long[] {1}, new float[1]), "duplicate tensor name");
        assertInvalidArgument(() -> w.addTensor("z", GgmlType.F32, new long[] {0}, new float[0]), "positive");
        assertInvalidArgument(
                () -> w.addTensor("z", GgmlType.F32, new long[] {1, 1, 1, 1, 1}, new float[1]), "dimensions");
        assertInvalidArgument(
                () -> w.addTensor("z", GgmlType.Q8_0, new long[] {48}, ByteBuffer.allocate(51)), "block size");
        assertInvalidArgument(
                () -> w.addTensor("z", GgmlType.Q8_0, new long[] {64}, ByteBuffer.allocate(34)), "which takes 68");
        assertInvalidArgument(() -> w.addTensor("x".repeat(64), GgmlType.F32, new long[] {1}, new float[1]), "bytes");
        assertInvalidArgument(() -> w.addTensor("z", GgmlType.F32, new long[] {3}, new float[2]), "2 floats");
        assertInvalidArgument(() -> w.addTensor("z", GgmlType.Q4_0, new long[] {32}, new float[32]), "floats");
        assertInvalidArgument(() -> w.putU32("", 1), "empty");
        assertInvalidArgument(() -> w.putU32("bad\uD800key", 1), "unpaired surrogate");
        assertThrows(IllegalArgumentException.class, () -> GgufValue.string("x\uDC00"));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.stringArray(List.of("ok", "\uD83D")));
        assertInvalidArgument(() -> w.alignment(48), "power of two");
        assertInvalidArgument(() -> w.putI32("general.alignment", 64), "UINT32");

        Path shortFile = dir.resolve("short.gguf");
        GgufWriter tooFew =
                new GgufWriter().addTensor("s", GgmlType.F32, new long[] {4}, out -> out.writeFloats(new float[3]));
        assertInvalidArgument(() -> tooFew.write(shortFile), "wrote 12 bytes");
        GgufWriter tooMany =
                new GgufWriter().addTensor("s", GgmlType.F32, new long[] {4}, out -> out.writeFloats(new float[5]));
        assertInvalidArgument(() -> tooMany.write(shortFile), "20 bytes or more");
        assertFalse(Files.exists(shortFile));
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".tmp-")), "temporary file left behind");
        }
    }
}
