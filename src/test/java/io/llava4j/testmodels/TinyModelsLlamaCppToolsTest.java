package io.llava4j.testmodels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.gguf.GgmlType;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.synthetic.LmSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Native smoke test: llama.cpp's own reference tools load and run the generated models. Guards the
 * factory against writing a key type, name or shape that the pinned llama.cpp refuses (or aborts
 * on). Skipped when the tools are not built ({@code native/build.sh --no-tools}).
 *
 * <p>The tools run with one thread: with {@code -t} = all cores, llama.cpp's OpenMP workers spin
 * against this JVM's own threads and a 0.2 s run took 2 to 11 s on a 2-core machine.
 */
class TinyModelsLlamaCppToolsTest {
    @TempDir
    Path dir;

    /** Runs a tool that must succeed; a missing tool is a failure (the build makes them). */
    private static NativeTools.Result run(String tool, String... args) {
        NativeTools.Result r = NativeTools.runToEnd(tool, args);
        assertEquals(0, r.exitCode(), r.stderr());
        return r;
    }

    /** Generated text may end inside a multi-byte character: decode leniently. */
    private static String stdout(NativeTools.Result r) {
        return new String(r.stdout(), StandardCharsets.UTF_8);
    }

    private static void assertGenerates(Path lm) {
        NativeTools.Result r = run(
                "llama-completion",
                "-m",
                lm.toString(),
                "-p",
                "Hello, my name is",
                "-n",
                "24",
                "--temp",
                "0",
                "-no-cnv",
                "-t",
                "1",
                "-c",
                "512");
        String out = stdout(r).strip();
        assertTrue(out.startsWith("Hello, my name is"), out);
        assertFalse(out.substring("Hello, my name is".length()).isBlank(), r.stderr());
    }

    private static void assertDescribesImage(TinyModels.Pair p, String template, int ctx) {
        NativeTools.Result r = run(
                "llama-mtmd-cli",
                "-m",
                p.lm().toString(),
                "--mmproj",
                p.mmproj().toString(),
                "--image",
                LlamaCppTree.file("tools/mtmd/test-1.jpeg").toString(),
                "-p",
                "What is in the image?",
                "-n",
                "8",
                "--temp",
                "0",
                "-t",
                "1",
                "-c",
                Integer.toString(ctx),
                "--chat-template",
                template);
        assertTrue(r.stderr().contains("batch encoding done"), r.stderr());
        assertFalse(stdout(r).isBlank(), r.stderr());
    }

    @Test
    void llamaCompletionRunsTheLanguageModels() {
        assertGenerates(TinyModels.writeLm(LmSpec.tinyLlama(), dir.resolve("llama.gguf")));
        assertGenerates(TinyModels.writeLm(
                LmSpec.tinyLlama().withShape(64, 2, 4, 2, 96).withTypes(GgmlType.F16, GgmlType.F16),
                dir.resolve("llama-gqa-f16.gguf")));
        assertGenerates(TinyModels.writeLm(
                LmSpec.tinyLlama().withTypes(GgmlType.BF16, GgmlType.BF16), dir.resolve("llama-bf16.gguf")));
        assertGenerates(TinyModels.writeLm(LmSpec.tinyQwen2().withTiedOutput(true), dir.resolve("qwen2-tied.gguf")));
    }

    @Test
    void mtmdCliEncodesAnImageWithEveryMmprojFlavour() {
        assertDescribesImage(TinyModels.llava15(dir.resolve("llava15"), 1), "vicuna", 2048);
        assertDescribesImage(TinyModels.llavaNextQwen2(dir.resolve("next"), 1), "chatml", 4096);
        Path lm = TinyModels.writeLm(LmSpec.tinyLlama(), dir.resolve("lm.gguf"));
        ClipSpec small = ClipSpec.tiny(64).withImageSize(112);
        List<ClipSpec> flavours = List.of(
                small.withFeatureLayer(true),
                small.withLegacy(false),
                small.withLegacy(false).withFeatureLayer(true).withShape(48, 6, 96, 4),
                small.withAnyres(true).withWeightType(GgmlType.F16));
        for (int i = 0; i < flavours.size(); i++) {
            Path mm = TinyModels.writeMmproj(flavours.get(i), dir.resolve("mm" + i + ".gguf"));
            assertDescribesImage(new TinyModels.Pair(lm, mm), "vicuna", 2048);
        }
    }
}
