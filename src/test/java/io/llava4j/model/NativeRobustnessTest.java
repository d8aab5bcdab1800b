package io.llava4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufWriter;
import io.llava4j.synthetic.LmSpec;
import io.llava4j.testmodels.TinyModels;
import io.llava4j.vision.VisionEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad files and misuse end in typed exceptions while the JVM lives; KV truncation, embedding input
 * and cancellation behave as documented.
 */
class NativeRobustnessTest {
    @TempDir
    static Path dir;

    static TinyModels.Pair pair;

    @BeforeAll
    static void writeModels() {
        pair = TinyModels.llava15(dir, 11);
    }

    private static ContextOptions small() {
        return ContextOptions.defaults().withContextLength(512).withThreads(2);
    }

    @Test
    void truncatedModelFilesAreRejectedBeforeNativeCode() throws IOException {
        byte[] bytes = Files.readAllBytes(pair.lm());
        for (int cut : new int[] {0, 3, 24, 1000, bytes.length / 2, bytes.length - 1}) {
            Path p = dir.resolve("cut-" + cut + ".gguf");
            Files.write(p, Arrays.copyOf(bytes, cut));
            Llava4jException e = assertThrows(Llava4jException.class, () -> LanguageModel.load(p));
            assertEquals(Code.INVALID_FILE, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains(p.getFileName().toString()), e.getMessage());
        }
    }

    @Test
    void missingFileIsAnIoError() {
        Llava4jException e = assertThrows(Llava4jException.class, () -> LanguageModel.load(dir.resolve("nope.gguf")));
        assertEquals(Code.IO, e.code());
    }

    @Test
    void mmprojLoadedAsLanguageModelIsExplained() {
        Llava4jException e = assertThrows(Llava4jException.class, () -> LanguageModel.load(pair.mmproj()));
        assertEquals(Code.INVALID_FILE, e.code());
        assertTrue(e.getMessage().contains("--mmproj"), e.getMessage());
    }

    /** Regression: clip.cpp reads image_size with gguf_get_val_u32, which aborts on any other type. */
    @Test
    void mmprojKeyOfWrongTypeIsRejectedInsteadOfAborting() {
        GgufFile src = GgufReader.read(pair.mmproj());
        Path bad = dir.resolve("bad-type.gguf");
        GgufWriter w = new GgufWriter().copyMetadata(src).putI32("clip.vision.image_size", 336);
        src.tensors().forEach(t -> w.copyTensor(src, t.name()));
        w.write(bad);
        Llava4jException e = assertThrows(Llava4jException.class, () -> VisionEncoder.load(bad, false));
        assertEquals(Code.INVALID_FILE, e.code());
        assertTrue(e.getMessage().contains("clip.vision.image_size"), e.getMessage());
    }

    @Test
    void truncateReusesThePrefixAndReproducesLogits() {
        try (LanguageModel lm = LanguageModel.load(pair.lm());
                InferenceContext ctx = lm.newContext(small())) {
            int[] a = lm.vocabulary().tokenize("Hello world, this is a test", true, false);
            int[] b = lm.vocabulary().tokenize(" of the cache", false, false);
            ctx.decode(a, 0, a.length);
            ctx.decode(b, 0, b.length);
            float[] full = ctx.logits();
            assertEquals(a.length + b.length, ctx.position());
            ctx.decode(b, 0, 2);
            ctx.truncate(a.length);
            assertEquals(a.length, ctx.position());
            ctx.decode(b, 0, b.length);
            assertArrayEquals(full, ctx.logits(), 1e-4f);
            ctx.clear();
            assertEquals(0, ctx.position());
            assertEquals(
                    Code.ILLEGAL_STATE,
                    assertThrows(Llava4jException.class, ctx::logits).code());
        }
    }

    @Test
    void longInputsAreSplitIntoBatchesAndOverflowIsContextFull() {
        ContextOptions opts = small().withBatchSize(16);
        try (LanguageModel lm = LanguageModel.load(pair.lm());
                InferenceContext ctx = lm.newContext(opts)) {
            int[] ids = new int[100];
            Arrays.fill(ids, 100);
            ctx.decode(ids, 0, ids.length);
            assertEquals(100, ctx.position());
            float[] embd = new float[50 * lm.embeddingWidth()];
            ctx.decodeEmbeddings(embd, 0, 50);
            assertEquals(150, ctx.position());
            int[] tooMany = new int[ctx.contextLength()];
            Llava4jException e = assertThrows(Llava4jException.class, () -> ctx.decode(tooMany, 0, tooMany.length));
            assertEquals(Code.CONTEXT_FULL, e.code());
            assertEquals(
                    Code.INVALID_ARGUMENT,
                    assertThrows(Llava4jException.class, () -> ctx.decode(-1)).code());
            assertEquals(
                    Code.INVALID_ARGUMENT,
                    assertThrows(
                                    Llava4jException.class,
                                    () -> ctx.decode(lm.vocabulary().size()))
                            .code());
            assertEquals(150, ctx.position());
        }
    }

    @Test
    void cancelStopsAPrefillAndTheContextStaysUsable() throws InterruptedException {
        ContextOptions opts = ContextOptions.defaults()
                .withContextLength(2048)
                .withBatchSize(8)
                .withThreads(1);
        try (LanguageModel lm = LanguageModel.load(pair.lm());
                InferenceContext ctx = lm.newContext(opts)) {
            int[] ids = new int[2000];
            Arrays.fill(ids, 200);
            AtomicBoolean stop = new AtomicBoolean();
            Thread canceller = new Thread(() -> {
                while (!stop.get()) {
                    ctx.cancel();
                    Thread.onSpinWait();
                }
            });
            canceller.start();
            Llava4jException e;
            try {
                e = assertThrows(Llava4jException.class, () -> ctx.decode(ids, 0, ids.length));
            } finally {
                stop.set(true);
                canceller.join();
            }
            assertEquals(Code.CANCELLED, e.code());
            assertTrue(ctx.position() < ids.length, "cancelled before the end: " + ctx.position());
            ctx.truncate(ctx.position());
            ctx.decode(5);
            assertTrue(Float.isFinite(ctx.logits()[0]));
        }
    }

    @Test
    void contextKeepsModelAliveAndMisuseIsIllegalState() {
        LanguageModel lm = LanguageModel.load(pair.lm());
        InferenceContext ctx = lm.newContext(small());
        lm.close();
        ctx.decode(1);
        assertTrue(Float.isFinite(ctx.logits()[0]), "context works after its model was closed");
        assertEquals(
                Code.CLOSED,
                assertThrows(Llava4jException.class, () -> lm.newContext(small()))
                        .code());
        ctx.close();
        ctx.close();
        assertEquals(
                Code.CLOSED,
                assertThrows(Llava4jException.class, () -> ctx.decode(1)).code());
        try (LanguageModel vocabOnly = LanguageModel.load(pair.lm(), ModelOptions.vocabularyOnly())) {
            assertEquals(
                    Code.ILLEGAL_STATE,
                    assertThrows(Llava4jException.class, () -> vocabOnly.newContext(small()))
                            .code());
        }
    }

    /**
     * The KV cache type reaches llama.cpp: the bytes a position adds to the saved sequence state
     * scale with the element size (F16 2 bytes, F32 4, Q8_0 34 per 32), apart from a few bytes of
     * per-position bookkeeping (under 3% of this model's 512 bytes of F16 keys and values).
     */
    @Test
    void kvCacheTypeSetsTheBytesPerPosition() {
        // 2 heads of 32: a q8_0 cache needs head sizes divisible by its block of 32
        LmSpec spec = new LmSpec(
                "llama", "llama-spm", 64, 2, 2, 2, 128, 4096, 1e-5f, 10000f, GgmlType.F32, GgmlType.F32, false, 5);
        Path lmPath = TinyModels.writeLm(spec, dir.resolve("heads32.gguf"));
        try (LanguageModel lm = LanguageModel.load(lmPath)) {
            double f16 = stateBytesPerPosition(lm, GgmlType.F16);
            double f32 = stateBytesPerPosition(lm, GgmlType.F32);
            double q80 = stateBytesPerPosition(lm, GgmlType.Q8_0);
            assertEquals(2.0, f32 / f16, 0.1, "F32 / F16 bytes per position: " + f32 + " / " + f16);
            assertEquals(34.0 / 64, q80 / f16, 0.05, "Q8_0 / F16 bytes per position: " + q80 + " / " + f16);
        }
        assertEquals(
                Code.INVALID_ARGUMENT,
                assertThrows(Llava4jException.class, () -> small().withKvType(GgmlType.Q4_K))
                        .code());
    }

    /**
     * readLogits hands every reader the logits from position 0, whatever an earlier reader did to
     * the buffer's position, and logits() copies the same values.
     */
    @Test
    void everyLogitsReaderStartsAtPositionZero() {
        try (LanguageModel lm = LanguageModel.load(pair.lm());
                InferenceContext ctx = lm.newContext(small())) {
            ctx.decode(new int[] {1, 100, 200}, 0, 3);
            float[] copy = ctx.logits();
            assertEquals(lm.vocabulary().size(), copy.length);
            for (int round = 0; round < 2; round++) {
                int[] seen = new int[2];
                float first = Float.intBitsToFloat(ctx.readLogits(b -> {
                    seen[0] = b.position();
                    seen[1] = b.remaining();
                    float v = b.get(); // a relative read moves the position
                    b.get();
                    return Float.floatToRawIntBits(v);
                }));
                assertEquals(0, seen[0], "round " + round);
                assertEquals(copy.length, seen[1], "round " + round);
                assertEquals(copy[0], first);
            }
        }
    }

    /** ggml would abort building the graph for a quantized cache whose block does not divide a head. */
    @Test
    void aQuantizedKvCacheThatDoesNotFitTheHeadsIsRefused() {
        try (LanguageModel lm = LanguageModel.load(pair.lm())) { // 4 heads of 16
            Llava4jException e = assertThrows(
                    Llava4jException.class,
                    () -> lm.newContext(small().withKvType(GgmlType.Q8_0)).close());
            assertEquals(Code.INVALID_ARGUMENT, e.code());
            assertTrue(
                    e.getMessage().contains("multiple of 32") && e.getMessage().contains("are 16"), e.getMessage());
        }
    }

    private static double stateBytesPerPosition(LanguageModel lm, GgmlType type) {
        long[] sizes = new long[2];
        for (int i = 0; i < 2; i++) {
            try (InferenceContext ctx = lm.newContext(small().withKvType(type))) {
                int[] ids = new int[32 * (i + 1)];
                Arrays.fill(ids, 100);
                ctx.decode(ids, 0, ids.length);
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                sizes[i] = ctx.saveState(java.nio.channels.Channels.newChannel(out));
            }
        }
        return (sizes[1] - sizes[0]) / 32.0;
    }
}
