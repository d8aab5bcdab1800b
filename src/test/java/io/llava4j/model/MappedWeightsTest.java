package io.llava4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufTensorInfo;
import io.llava4j.nativeio.Backends;
import io.llava4j.quantize.QuantType;
import io.llava4j.quantize.QuantizeListener;
import io.llava4j.quantize.Quantizer;
import io.llava4j.synthetic.LmSpec;
import io.llava4j.testmodels.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A memory-mapped model whose weights the CPU backend repacks (Q4_0 on an x86-64 CPU with AVX2:
 * ggml-cpu's {@code repack.cpp} rearranges every Q4_0 matrix with a multiple of 8 rows into
 * {@code q4_0_8x8} blocks in a buffer of its own) keeps only the weights that stay in the mapping
 * resident: native/patches/0004 unmaps each copied weight's pages. Measured on the mapping itself,
 * from {@code /proc/self/smaps}: its resident size is at most the file minus the repacked weights
 * (plus the two partial pages each weight may share with its neighbours), where without the patch it
 * is the whole file (llama.cpp pre-faults the mapping). And the mapped load computes the same logits
 * as a load that reads the file, bit for bit.
 */
class MappedWeightsTest {
    /** Wide blocks (4 x 2.4 MB of Q4_0) beside a 32000-token embedding and output. */
    private static final LmSpec SPEC =
            LmSpec.tinyLlama().withShape(512, 4, 8, 8, 2048).withSeed(7);

    private static final String PROMPT = "USER: What is in the picture? ASSISTANT:";
    private static final long PAGE = 4096;

    @TempDir
    static Path dir;

    static Path q40;

    @BeforeAll
    static void writeModel() {
        Path f32 = TinyModels.writeLm(SPEC, dir.resolve("lm-f32.gguf"));
        q40 = dir.resolve("lm-q4_0.gguf");
        Quantizer.quantize(f32, q40, QuantType.parse("q4_0"), false, QuantizeListener.NONE);
    }

    @Test
    void repackedWeightsLeaveTheMapping() throws IOException {
        assumeTrue(Files.isReadable(Path.of("/proc/self/smaps")), "needs Linux's /proc/self/smaps");
        assumeTrue(
                "1".equals(Backends.cpuFeatures().get("AVX2")),
                "ggml-cpu repacks Q4_0 on x86-64 CPUs with AVX2 (this one lacks it)");
        long fileSize = Files.size(q40);
        List<GgufTensorInfo> tensors = GgufReader.read(q40).tensors();
        long repacked = 0;
        int count = 0;
        for (GgufTensorInfo t : tensors) {
            // matrices of a multiplication (the embedding is read by get_rows and stays mapped)
            if (t.type() == GgmlType.Q4_0
                    && t.dims().length == 2
                    && t.dims()[1] % 8 == 0
                    && !t.name().equals("token_embd.weight")) {
                repacked += t.byteSize();
                count++;
            }
        }
        assertTrue(count >= 28, "the quantized file has its 4 x 7 block matrices in Q4_0, found " + count);
        try (LanguageModel lm = LanguageModel.load(q40, ModelOptions.defaults())) {
            long resident = mappedResidentBytes(q40);
            long bound = fileSize - repacked + 2 * PAGE * count;
            assertTrue(
                    resident <= bound,
                    "the mapping of " + q40.getFileName() + " (" + fileSize + " bytes, " + repacked
                            + " of them repacked) keeps " + resident + " bytes resident; at most " + bound
                            + " expected once the repacked weights' pages are given back");
        }
    }

    @Test
    void mappedAndReadLoadsComputeTheSameLogits() {
        float[] mapped = lastLogits(ModelOptions.defaults());
        float[] read = lastLogits(ModelOptions.defaults().withMmap(false));
        assertArrayEquals(read, mapped, "the same file, mapped or read, must give the same logits");
    }

    private static float[] lastLogits(ModelOptions options) {
        try (LanguageModel m = LanguageModel.load(q40, options);
                InferenceContext ctx = m.newContext(
                        ContextOptions.defaults().withContextLength(128).withThreads(2))) {
            int[] ids = m.vocabulary().tokenize(PROMPT, true, true);
            ctx.decode(ids, 0, ids.length);
            return ctx.logits();
        }
    }

    /** The sum of {@code Rss:} over this process's mappings of {@code file}. */
    static long mappedResidentBytes(Path file) throws IOException {
        String target = file.toRealPath().toString();
        long kib = 0;
        boolean inside = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            String[] f = line.trim().split("\\s+", 6);
            if (f.length >= 5 && f[0].matches("[0-9a-f]+-[0-9a-f]+")) {
                inside = f.length == 6 && f[5].equals(target);
            } else if (inside && line.startsWith("Rss:")) {
                kib += Long.parseLong(f[1]);
            }
        }
        return kib * 1024;
    }
}
