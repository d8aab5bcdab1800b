package io.llava4j.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STRING arrays, which {@link GgufValue} keeps packed as UTF-8 rather than as {@code String}
 * objects: round trips through the writer and the reader, copies and views handed out, equality,
 * and the reader's UTF-8 check against Java's own decoder.
 */
class GgufStringArrayTest {
    @TempDir
    Path dir;

    /** Empty strings, 1- to 4-byte UTF-8, a string longer than the reader's 64 KiB buffer. */
    static List<String> awkwardStrings() {
        return List.of(
                "", "a", "", "é", "Ġthe", "世界", "🎉", "▁", "x".repeat(70_000), "", "ü🎉z", "\u0000", "\uFFFF", "");
    }

    /** Enough strings that the packed bytes grow several times and cross many buffer refills. */
    static List<String> manyStrings() {
        SplittableRandom random = new SplittableRandom(3);
        String[] alphabet = {"a", "Ġ", "é", "世", "🎉", "▁", " "};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            StringBuilder b = new StringBuilder();
            int n = random.nextInt(i % 100 == 0 ? 40 : 12);
            for (int k = 0; k < n; k++) {
                b.append(alphabet[random.nextInt(alphabet.length)]);
            }
            out.add(b.toString());
        }
        return out;
    }

    private Path write(String name, Map<String, GgufValue> values) throws IOException {
        GgufWriter w = new GgufWriter().putString("general.architecture", "test");
        values.forEach(w::put);
        Path p = dir.resolve(name);
        w.write(p);
        return p;
    }

    @Test
    void stringArraysRoundTripAndRewriteByteIdentically() throws IOException {
        Map<String, List<String>> arrays = Map.of(
                "t.awkward", awkwardStrings(),
                "t.many", manyStrings(),
                "t.empty", List.of(),
                "t.one.empty", List.of(""),
                "t.one", List.of("Ġ世界🎉"));
        Map<String, GgufValue> values = new LinkedHashMap<>();
        arrays.forEach((k, v) -> values.put(k, GgufValue.stringArray(v)));
        Path first = write("first.gguf", values);

        GgufFile read = GgufReader.read(first);
        for (Map.Entry<String, List<String>> e : arrays.entrySet()) {
            GgufValue v = read.value(e.getKey());
            assertEquals(e.getValue(), v.asStringList(), e.getKey());
            assertEquals(e.getValue(), read.getStringArray(e.getKey()), e.getKey());
            assertEquals(e.getValue().size(), v.length(), e.getKey());
            for (int i = 0; i < e.getValue().size(); i++) {
                assertEquals(e.getValue().get(i), v.stringAt(i));
            }
            assertEquals(values.get(e.getKey()), v, e.getKey());
            assertEquals(values.get(e.getKey()).hashCode(), v.hashCode(), e.getKey());
        }

        Path second = dir.resolve("second.gguf");
        new GgufWriter().copyMetadata(read).write(second);
        assertEquals(-1, Files.mismatch(first, second), "read → write → read changed the bytes");
        assertEquals(read.metadata(), GgufReader.read(second).metadata());
    }

    @Test
    void accessorsHandOutViewsAndCopiesNeverTheStorage() {
        List<String> source = new ArrayList<>(List.of("a", "Ġb", ""));
        GgufValue v = GgufValue.stringArray(source);
        source.set(0, "changed");
        source.add("more");
        assertEquals(List.of("a", "Ġb", ""), v.asStringList(), "the factory copies its argument");

        List<String> view = v.asStringList();
        assertThrows(UnsupportedOperationException.class, () -> view.set(0, "x"));
        assertThrows(UnsupportedOperationException.class, () -> view.add("x"));
        assertThrows(UnsupportedOperationException.class, () -> view.remove(0));
        assertEquals("Ġb", view.get(1));
        assertNotSame(view.get(1), view.get(1), "each read decodes a new String");
        assertEquals(List.of("a", "Ġb", ""), v.asStringList());

        assertThrows(IndexOutOfBoundsException.class, () -> v.stringAt(3));
        assertThrows(IndexOutOfBoundsException.class, () -> v.stringAt(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> view.get(3));
        assertThrows(IllegalStateException.class, () -> GgufValue.int32Array(1).stringAt(0));
        assertThrows(IllegalStateException.class, () -> GgufValue.string("a").asStringList());
        assertThrows(NullPointerException.class, () -> GgufValue.stringArray(Arrays.asList("a", null)));
    }

    @Test
    void equalityFollowsTheElementsNotJustTheBytes() {
        GgufValue ab = GgufValue.stringArray(List.of("ab", "c"));
        assertEquals(ab, GgufValue.stringArray(List.of("ab", "c")));
        assertEquals(ab.hashCode(), GgufValue.stringArray(List.of("ab", "c")).hashCode());
        assertNotEquals(ab, GgufValue.stringArray(List.of("a", "bc")), "same bytes, other elements");
        assertNotEquals(ab, GgufValue.stringArray(List.of("ab", "c", "")));
        assertNotEquals(GgufValue.stringArray(List.of()), GgufValue.stringArray(List.of("")));
        assertEquals("ARRAY<STRING>[2]", ab.toString());
    }

    @Test
    void anElementLongerThanTheBytesLeftForTheRestIsRefusedBeforeAllocating() throws IOException {
        Path p = dir.resolve("lengths.gguf");
        new GgufWriter()
                .putStringArray("t.strs", List.of("x", "y", "z"))
                .putString("t.after", "p".repeat(1000))
                .write(p);
        byte[] b = Files.readAllBytes(p);
        // element 0 claims the rest of the file, so the two lengths after it cannot fit
        int at = GgufMalformedTest.find(b, "t.strs") + 6 + 4 + 4 + 8;
        GgufMalformedTest.u64(b, at, b.length - at - 8);
        Path bad = dir.resolve("bad.gguf");
        Files.write(bad, b);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufReader.read(bad));
        assertEquals(Code.INVALID_FILE, e.code());
        assertTrue(e.getMessage().contains("element 0 of key 't.strs' has length"), e.getMessage());
        assertTrue(e.getMessage().contains("the 2 elements after it"), e.getMessage());
    }

    @Test
    void invalidUtf8DeepInALongArrayNamesTheElement() throws IOException {
        List<String> strings = manyStrings();
        List<String> marked = new ArrayList<>(strings);
        marked.set(40_000, "MARK" + "a");
        Path p = write("marked.gguf", Map.of("t.many", GgufValue.stringArray(marked)));
        byte[] b = Files.readAllBytes(p);
        b[GgufMalformedTest.find(b, "MARKa") + 4] = (byte) 0xE4; // a 3-byte lead with nothing after it
        Path bad = dir.resolve("bad.gguf");
        Files.write(bad, b);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufReader.read(bad));
        assertTrue(e.getMessage().contains("element 40000 of key 't.many' is not valid UTF-8"), e.getMessage());
    }

    /** The reader's check accepts exactly what Java's UTF-8 decoder accepts with REPORT. */
    @Test
    void utf8CheckAgreesWithTheJdkDecoder() {
        SplittableRandom random = new SplittableRandom(11);
        // bytes around every boundary of RFC 3629's table, plus ASCII and random bytes
        int[] interesting = {
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
            0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFE, 0xFF
        };
        int accepted = 0;
        for (int round = 0; round < 200_000; round++) {
            byte[] b = new byte[random.nextInt(7)];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte)
                        (random.nextInt(4) == 0
                                ? random.nextInt(256)
                                : interesting[random.nextInt(interesting.length)]);
            }
            boolean expected = jdkAccepts(b);
            assertEquals(
                    expected,
                    Utf8.isWellFormed(b, 0, b.length),
                    () -> HexFormat.of().formatHex(b));
            accepted += expected ? 1 : 0;
        }
        assertTrue(accepted > 10_000, "too few valid samples to mean anything: " + accepted);
        byte[] padded = "xé世🎉x".getBytes(StandardCharsets.UTF_8);
        assertTrue(Utf8.isWellFormed(padded, 1, padded.length - 1));
        assertFalse(Utf8.isWellFormed(padded, 1, 2), "a range that cuts a character is malformed");
    }

    private static boolean jdkAccepts(byte[] b) {
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
