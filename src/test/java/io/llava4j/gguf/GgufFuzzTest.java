package io.llava4j.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.llava4j.testmodels.LlamaCppTree;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truncation at every offset and random byte flips (fixed seeds): the reader may accept a file whose
 * flips it cannot notice (tensor data, a value's bits), but must never throw anything other than a
 * {@link GgufFormatException}, never run out of memory on a corrupted length, and never return a
 * file whose tensors cannot be read back.
 */
class GgufFuzzTest {
    @TempDir
    Path dir;

    private byte[] sample() throws IOException {
        Path p = dir.resolve("sample.gguf");
        GgufWriter w = new GgufWriter();
        GgufRoundTripTest.allValues().forEach(w::put);
        w.addTensor("w.f16", GgmlType.F16, new long[] {16, 3}, new float[48])
                .addTensor("w.q4_0", GgmlType.Q4_0, new long[] {32, 2}, ByteBuffer.allocate(36))
                .addTensor("w.f32", GgmlType.F32, new long[] {8}, new float[8]) // 32 bytes: no trailing padding
                .write(p);
        return Files.readAllBytes(p);
    }

    /** Reads {@code bytes}; returns true if accepted. Anything but a GgufFormatException fails the test. */
    private boolean tryRead(byte[] bytes, String what) throws IOException {
        Path p = dir.resolve("fuzz.gguf");
        Files.write(p, bytes);
        try {
            GgufFile f = GgufReader.read(p);
            for (GgufTensorInfo t : f.tensors()) {
                assertEquals(t.byteSize(), f.readTensorBytes(t.name()).remaining());
            }
            for (String k : f.keys()) {
                assertTrue(f.value(k).toString().length() > 0);
            }
            return true;
        } catch (GgufFormatException e) {
            assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
            return false;
        } catch (Throwable t) {
            fail(what + ": " + t, t);
            return false;
        }
    }

    @Test
    void everyTruncationIsRefused() throws IOException {
        byte[] full = sample();
        assertTrue(tryRead(full, "full file"));
        for (int len = 0; len < full.length; len++) {
            byte[] cut = Arrays.copyOf(full, len);
            Path p = dir.resolve("cut.gguf");
            Files.write(p, cut);
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufReader.read(p), "cut at " + len);
            assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        }
    }

    @Test
    void randomByteFlipsNeverEscapeAsOtherExceptions() throws IOException {
        byte[] full = sample();
        int dataStart = (int) GgufReader.read(dir.resolve("sample.gguf")).dataOffset();
        SplittableRandom rnd = new SplittableRandom(20240917L);
        int accepted = 0;
        int rejected = 0;
        for (int iter = 0; iter < 3000; iter++) {
            byte[] b = full.clone();
            int flips = 1 + rnd.nextInt(4);
            // three quarters of the flips hit the header, where the structure is
            int limit = rnd.nextInt(4) == 0 ? b.length : dataStart;
            for (int i = 0; i < flips; i++) {
                int pos = rnd.nextInt(limit);
                b[pos] = rnd.nextBoolean() ? (byte) rnd.nextInt(256) : (byte) (b[pos] ^ (1 << rnd.nextInt(8)));
            }
            if (rnd.nextInt(5) == 0) {
                b = Arrays.copyOf(b, rnd.nextInt(b.length));
            }
            if (tryRead(b, "iteration " + iter)) {
                accepted++;
            } else {
                rejected++;
            }
        }
        assertTrue(rejected > 1000, "most corruptions of the header must be noticed, rejected " + rejected);
        assertTrue(accepted > 0, "flips of tensor data cannot be noticed");
    }

    @Test
    void corruptedRealVocabularyNeverEscapesAsOtherExceptions() throws IOException {
        byte[] full = Files.readAllBytes(LlamaCppTree.vocab("llama-spm"));
        SplittableRandom rnd = new SplittableRandom(42);
        for (int iter = 0; iter < 300; iter++) {
            byte[] b = iter % 3 == 0 ? Arrays.copyOf(full, rnd.nextInt(full.length)) : full.clone();
            if (iter % 3 != 0) {
                for (int i = 0; i < 1 + rnd.nextInt(3); i++) {
                    int pos = rnd.nextInt(iter % 3 == 1 ? 4096 : b.length);
                    b[pos] = (byte) rnd.nextInt(256);
                }
            }
            tryRead(b, "vocab iteration " + iter);
        }
    }

    @Test
    void hugeLengthsAreRefusedBeforeAllocating() throws IOException {
        // Every length field set to values near 2^63 and 2^64: a reader that allocated first would OOM.
        byte[] full = sample();
        for (long v : List.of(Long.MAX_VALUE, -1L, 1L << 31, (1L << 31) - 1, 1L << 30)) {
            for (int off = 8; off + 8 <= 200; off += 1) {
                byte[] b = full.clone();
                GgufMalformedTest.u64(b, off, v);
                tryRead(b, "u64 " + v + " at " + off);
            }
        }
    }
}
