package io.llava4j.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every malformation the reader must refuse, made by writing a valid file and patching or
 * truncating its bytes. Each must be a {@link GgufFormatException} (code INVALID_FILE) whose message
 * starts with the file and names the problem.
 */
class GgufMalformedTest {
    @TempDir
    Path dir;

    byte[] base;
    int n;

    /** Writes the valid base file; tensor names have equal lengths so one can be renamed to another. */
    static byte[] validFile(Path dir, boolean withAlignment) throws IOException {
        Path p = dir.resolve("base.gguf");
        GgufWriter w = new GgufWriter().putString("general.architecture", "test");
        if (withAlignment) {
            w.alignment(64);
        }
        w.putU32("test.key.a1", 1)
                .putU32("test.key.a2", 2)
                .putI32Array("test.arr", 1, 2, 3)
                .putStringArray("test.strarr", List.of("x", "y"))
                .addTensor("tensor.first", GgmlType.F32, new long[] {8, 2}, new float[16])
                .addTensor("tensor.secnd", GgmlType.Q8_0, new long[] {64}, ByteBuffer.allocate(68))
                .addTensor("tensor.third", GgmlType.F32, new long[] {8}, new float[8])
                .write(p);
        GgufReader.read(p); // it is valid
        return Files.readAllBytes(p);
    }

    @BeforeEach
    void setUp() throws IOException {
        base = validFile(dir, false);
    }

    static int find(byte[] b, String s) {
        byte[] needle = s.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + needle.length <= b.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (b[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError(s + " not found");
    }

    static void u32(byte[] b, int off, long v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(off, (int) v);
    }

    static void u64(byte[] b, int off, long v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(off, v);
    }

    private void assertRefused(byte[] bytes, String fragment) throws IOException {
        Path p = dir.resolve("bad-" + (n++) + ".gguf");
        Files.write(p, bytes);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufReader.read(p));
        assertEquals(Code.INVALID_FILE, e.code(), e.getMessage());
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "'" + fragment + "' not in: " + e.getMessage());
    }

    private void assertPatched(Consumer<byte[]> patch, String fragment) throws IOException {
        byte[] b = base.clone();
        patch.accept(b);
        assertRefused(b, fragment);
    }

    @Test
    void wrongMagicAndTinyFiles() throws IOException {
        assertPatched(b -> b[0] = 'X', "not a GGUF file");
        assertRefused(new byte[0], "not a GGUF file: only 0 bytes");
        assertRefused(Arrays.copyOf(base, 3), "not a GGUF file");
        assertRefused("GGML not really".getBytes(StandardCharsets.US_ASCII), "not a GGUF file");
    }

    @Test
    void unsupportedVersions() throws IOException {
        assertPatched(b -> u32(b, 4, 1), "unsupported GGUF version 1");
        assertPatched(b -> u32(b, 4, 4), "unsupported GGUF version 4");
        assertPatched(b -> u32(b, 4, 0x0300_0000), "big-endian");
    }

    @Test
    void absurdCounts() throws IOException {
        assertPatched(b -> u64(b, 8, 1L << 40), "tensor count 1099511627776 cannot fit");
        assertPatched(b -> u64(b, 16, -1), "metadata count 18446744073709551615 cannot fit");
        assertPatched(b -> u64(b, 16, 6), ""); // one key more than there is: runs into the tensor infos
        assertPatched(b -> u64(b, find(b, "test.key.a1") - 8, 1L << 60), "length 1152921504606846976");
        assertPatched(
                b -> u64(b, find(b, "general.architecture") + 24, 1L << 40),
                "value of key 'general.architecture' has length");
        assertPatched(
                b -> u64(b, find(b, "test.arr") + 16, 1L << 50),
                "key 'test.arr' is an array of 1125899906842624 INT32");
        assertPatched(b -> u64(b, find(b, "test.strarr") + 19, 1L << 29), "array of 536870912 STRING");
    }

    @Test
    void unknownValueTypesAndNestedArrays() throws IOException {
        assertPatched(b -> u32(b, find(b, "test.key.a1") + 11, 13), "key 'test.key.a1' has unknown value type 13");
        assertPatched(b -> u32(b, find(b, "test.key.a1") + 11, 0xFFFF_FFFFL), "unknown value type 4294967295");
        assertPatched(b -> u32(b, find(b, "test.arr") + 12, 99), "key 'test.arr' is an array of unknown value type 99");
        assertPatched(b -> u32(b, find(b, "test.arr") + 12, 9), "array of arrays");
    }

    @Test
    void badKeys() throws IOException {
        assertPatched(b -> b[find(b, "test.key.a2") + 10] = '1', "duplicate key 'test.key.a1'");
        assertPatched(b -> u64(b, find(b, "test.key.a1") - 8, 0), "key #1 is empty");
        assertPatched(b -> b[find(b, "test.key.a1") + 4] = (byte) 0xFF, "key #1 is not valid UTF-8");
        assertPatched(
                b -> b[find(b, "test.strarr") + 44] = (byte) 0xC3, "element 1 of key 'test.strarr' is not valid UTF-8");
    }

    @Test
    void badAlignment() throws IOException {
        base = validFile(dir, true);
        assertPatched(
                b -> u32(b, find(b, "general.alignment") + 21, 48),
                "'general.alignment' is 48, expected a power of two");
        assertPatched(
                b -> u32(b, find(b, "general.alignment") + 17, 5),
                "'general.alignment' has type INT32, expected UINT32");
    }

    @Test
    void badTensorTypesAndShapes() throws IOException {
        int second = find(base, "tensor.secnd");
        int first = find(base, "tensor.first");
        assertPatched(b -> u32(b, second + 24, 4), "tensor 'tensor.secnd' has unknown ggml type 4");
        assertPatched(b -> u32(b, second + 24, GgmlType.COUNT), "unknown ggml type 43");
        assertPatched(b -> u32(b, second + 24, 0xFFFF_FFFFL), "unknown ggml type 4294967295");
        assertPatched(b -> u32(b, second + 12, 0), "tensor 'tensor.secnd' has 0 dimensions, expected 1 to 4");
        assertPatched(b -> u32(b, second + 12, 5), "has 5 dimensions");
        assertPatched(b -> u64(b, first + 24, 0), "tensor 'tensor.first' dimension 1 is 0, expected a positive size");
        assertPatched(b -> u64(b, first + 16, -8), "dimension 0 is 18446744073709551608");
        assertPatched(
                b -> {
                    u64(b, first + 16, 1L << 40);
                    u64(b, first + 24, 1L << 40);
                },
                "more elements than fit in 64 bits");
        assertPatched(b -> u64(b, first + 16, 1L << 61), "more bytes than fit in 64 bits");
        assertPatched(b -> u64(b, second + 16, 48), "row size ne0=48 is not a multiple of the q8_0 block size 32");
        assertPatched(b -> u64(b, first - 8, 64), "is 64 bytes long, llama.cpp allows at most 63");
    }

    @Test
    void badTensorNamesAndLayout() throws IOException {
        int second = find(base, "tensor.secnd");
        int third = find(base, "tensor.third");
        assertPatched(
                b -> System.arraycopy("tensor.first".getBytes(StandardCharsets.US_ASCII), 0, b, second, 12),
                "duplicate tensor name 'tensor.first'");
        assertPatched(
                b -> u64(b, third + 28, 161),
                "tensor 'tensor.third' has offset 161, which is not a multiple of the alignment 32");
        assertPatched(
                b -> u64(b, third + 28, 1L << 20),
                "tensor 'tensor.third' (32 bytes at data offset 1048576) runs past the end of the file");
        assertPatched(b -> u64(b, second + 28, 0), "tensors 'tensor.first' [0, 64) and 'tensor.secnd' [0, 68) overlap");
        assertPatched(b -> u64(b, third + 28, -32), "not a multiple of the alignment");
    }

    @Test
    void truncationAnywhere() throws IOException {
        GgufFile ok = GgufReader.read(dir.resolve("base.gguf"));
        long dataStart = ok.dataOffset();
        int[] cuts = {
            4,
            8,
            20,
            30,
            find(base, "test.arr") + 14,
            find(base, "tensor.secnd") + 5,
            find(base, "tensor.third") + 27,
            (int) dataStart - 1,
            (int) dataStart + 10,
            base.length - 1
        };
        for (int cut : cuts) {
            assertRefused(Arrays.copyOf(base, cut), "truncated");
        }
    }

    @Test
    void missingOrUnreadableFilesAreIoErrors() throws IOException {
        Path missing = dir.resolve("missing.gguf");
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufReader.read(missing));
        assertEquals(Code.IO, e.code());
        assertTrue(e.getMessage().startsWith(missing + ": file not found"), e.getMessage());

        Path sub = Files.createDirectory(dir.resolve("sub.gguf"));
        GgufFormatException d = assertThrows(GgufFormatException.class, () -> GgufReader.read(sub));
        assertEquals(Code.IO, d.code());
        assertTrue(d.getMessage().contains("directory"), d.getMessage());
    }
}
