package io.llava4j.quantize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufTensorInfo;
import io.llava4j.gguf.GgufWriter;
import io.llava4j.testmodels.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad inputs and outputs are exceptions naming the file, checked before llama.cpp runs (the JVM
 * lives), and a failed quantization leaves nothing behind.
 */
class QuantizerRefusalTest {
    @TempDir
    static Path dir;

    static TinyModels.Pair pair;

    @BeforeAll
    static void writeModels() {
        pair = TinyModels.llava15(dir.resolve("src"), 11);
    }

    private static Llava4jException refuse(Path in, Path out, boolean force) {
        return assertThrows(
                Llava4jException.class,
                () -> Quantizer.quantize(in, out, QuantType.Q8_0, force, QuantizeListener.NONE));
    }

    @Test
    void outputEqualToInputIsRefusedEvenWithForce() {
        Llava4jException e = refuse(pair.mmproj(), pair.mmproj(), true);
        assertEquals(Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("is the input file"), e.getMessage());
        Path other = pair.mmproj().getParent().resolve("../src/./mmproj.gguf");
        assertEquals(Code.INVALID_ARGUMENT, refuse(pair.mmproj(), other, true).code());
    }

    @Test
    void existingOutputNeedsForceAndIsOnlyReplacedByACompleteFile() throws IOException {
        Path out = dir.resolve("exists.gguf");
        Files.writeString(out, "keep me");
        Llava4jException e = refuse(pair.mmproj(), out, false);
        assertEquals(Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("already exists") && e.getMessage().contains("--force"), e.getMessage());
        assertEquals("keep me", Files.readString(out));

        QuantizeReport r = Quantizer.quantize(pair.mmproj(), out, QuantType.Q8_0, true, QuantizeListener.NONE);
        assertEquals(r.outputBytes(), Files.size(out));
        assertTrue(GgufReader.read(out).hasTensor("mm.0.weight"));
    }

    @Test
    void missingMalformedAndAlreadyQuantizedInputsAreRefusedWithTheirName() throws IOException {
        Path missing = dir.resolve("nope.gguf");
        Llava4jException e = refuse(missing, dir.resolve("o1.gguf"), false);
        assertEquals(Code.IO, e.code());
        assertTrue(e.getMessage().contains("nope.gguf"), e.getMessage());

        Path junk = dir.resolve("junk.gguf");
        Files.write(junk, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0, 1, 2});
        e = refuse(junk, dir.resolve("o2.gguf"), false);
        assertEquals(Code.INVALID_FILE, e.code());
        assertTrue(e.getMessage().contains("junk.gguf"), e.getMessage());

        Path q8 = dir.resolve("q8.gguf");
        Quantizer.quantize(pair.lm(), q8, QuantType.Q8_0, false, QuantizeListener.NONE);
        e = refuse(q8, dir.resolve("o3.gguf"), false);
        assertEquals(Code.INVALID_FILE, e.code());
        assertTrue(e.getMessage().contains("already quantized"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("o1.gguf"))
                || Files.exists(dir.resolve("o2.gguf"))
                || Files.exists(dir.resolve("o3.gguf")));
    }

    @Test
    void outputInAMissingDirectoryOrOnADirectoryIsRefused() {
        assertEquals(
                Code.IO,
                refuse(pair.lm(), dir.resolve("no/such/dir/out.gguf"), false).code());
        assertEquals(Code.INVALID_ARGUMENT, refuse(pair.lm(), dir, true).code());
    }

    /** A file that passes the Java checks but that llama.cpp rejects: its reason, and no leftovers. */
    @Test
    void aNativeFailureCarriesLlamaCppsReasonAndLeavesNoFiles() throws IOException {
        GgufFile lm = GgufReader.read(pair.lm());
        GgufWriter w = new GgufWriter().copyMetadata(lm, k -> !k.startsWith("llama."));
        w.putString("general.architecture", "nosucharch");
        w.putU32("nosucharch.block_count", 2);
        for (GgufTensorInfo t : lm.tensors()) {
            w.copyTensor(lm, t.name());
        }
        Path odd = dir.resolve("odd").resolve("odd.gguf");
        Files.createDirectories(odd.getParent());
        w.write(odd);

        Llava4jException e = refuse(odd, odd.resolveSibling("out.gguf"), false);
        assertEquals(Code.NATIVE, e.code());
        assertTrue(e.getMessage().contains("odd.gguf") && e.getMessage().contains("nosucharch"), e.getMessage());
        try (Stream<Path> files = Files.list(odd.getParent())) {
            assertEquals(
                    List.of("odd.gguf"),
                    files.map(p -> p.getFileName().toString()).toList());
        }
        // the JVM and the native library are still fine
        assertArrayEquals(
                new byte[] {'G', 'G', 'U', 'F'}, java.util.Arrays.copyOf(Files.readAllBytes(pair.mmproj()), 4));
        assertTrue(Quantizer.quantize(
                                pair.mmproj(), dir.resolve("after.gguf"), QuantType.F16, false, QuantizeListener.NONE)
                        .outputBytes()
                > 0);
    }
}
