package io.llava4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.cli.ConvertCommand;
import io.llava4j.convert.llava.SourceLayout;
import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.model.LanguageModel;
import io.llava4j.model.ModelOptions;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.synthetic.LmSpec;
import io.llava4j.testmodels.LlamaCppTree;
import io.llava4j.testmodels.TinyModels;
import io.llava4j.vision.VisionEncoder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code llava4j convert}: each option changes the result; errors are one line and an exit code. */
class ConvertCommandTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new ConvertCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        cmd.setExecutionExceptionHandler((e, c, p) -> {
            c.getErr().println("error: " + e.getMessage());
            return 1;
        });
        return new Run(cmd.execute(args), out.toString(), err.toString());
    }

    private TinyModels.Pair export(SourceLayout layout, Path ckpt, Path tower) throws IOException {
        LmSpec lm = LmSpec.tinyLlama().withSeed(11);
        ClipSpec clip = ClipSpec.tiny(lm.nEmbd())
                .withLegacy(false)
                .withFeatureLayer(true)
                .withSeed(12);
        TinyModels.Pair src = TinyModels.writePair(lm, clip, dir.resolve("src"));
        CheckpointExport.write(layout, lm, clip, src.lm(), src.mmproj(), LlamaCppTree.vocab(lm.vocab()), ckpt, tower);
        return src;
    }

    @Test
    void outtypeAndNameChooseTheTypesAndFileNames() throws IOException {
        Path ckpt = dir.resolve("llava-tiny-hf");
        TinyModels.Pair src = export(SourceLayout.HF_LLAVA, ckpt, dir.resolve("tower"));
        Run f32 =
                run("--input", ckpt.toString(), "--output-dir", dir.resolve("a").toString(), "--outtype", "f32");
        assertEquals(0, f32.code(), f32.err());
        assertTrue(f32.out().contains("transformers LlavaForConditionalGeneration"), f32.out());
        Path lm32 = dir.resolve("a").resolve("llava-tiny-hf-f32.gguf");
        assertTrue(Files.isRegularFile(lm32)
                && Files.isRegularFile(dir.resolve("a").resolve("mmproj-llava-tiny-hf-f32.gguf")));

        Run q8 = run("-i", ckpt.toString(), "-o", dir.resolve("b").toString(), "--outtype", "q8_0", "--name", "m");
        assertEquals(0, q8.code(), q8.err());
        Path lm8 = dir.resolve("b").resolve("m-q8_0.gguf");
        Path mm8 = dir.resolve("b").resolve("mmproj-m-q8_0.gguf");
        GgufFile g = GgufReader.read(lm8);
        assertEquals(GgmlType.Q8_0, g.tensor("blk.0.attn_q.weight").type());
        assertEquals(GgmlType.Q8_0, g.tensor("token_embd.weight").type());
        assertEquals(GgmlType.F32, g.tensor("output_norm.weight").type());
        assertEquals("m", g.getString("general.name"));
        assertEquals(7, g.getInt("general.file_type"));
        assertTrue(Files.size(lm8) * 3 < Files.size(lm32), "q8_0 is about a quarter of f32");
        GgufFile m = GgufReader.read(mm8);
        assertEquals(GgmlType.Q8_0, m.tensor("mm.0.weight").type());
        assertEquals(GgmlType.F16, m.tensor("v.patch_embd.weight").type());

        Run f16 = run("-i", ckpt.toString(), "-o", dir.resolve("c").toString());
        assertEquals(0, f16.code(), f16.err());
        assertEquals(
                GgmlType.F16,
                GgufReader.read(dir.resolve("c").resolve("llava-tiny-hf-f16.gguf"))
                        .tensor("blk.0.attn_q.weight")
                        .type(),
                "f16 is the default");

        // the q8_0 pair loads, tokenizes like the source and encodes images
        try (LanguageModel a = LanguageModel.load(src.lm(), ModelOptions.vocabularyOnly());
                LanguageModel b = LanguageModel.load(lm8);
                VisionEncoder enc = VisionEncoder.load(mm8, false)) {
            assertArrayEquals(
                    a.vocabulary().tokenize("Hello world", true, false),
                    b.vocabulary().tokenize("Hello world", true, false));
            assertEquals(576 * 64, enc.encode(new float[336 * 336 * 3], 336, 336, 2).length);
        }
    }

    @Test
    void visionTowerSuppliesTheTowerOfOriginalCheckpoints() throws IOException {
        Path ckpt = dir.resolve("llava-v1.5-tiny");
        Path tower = dir.resolve("clip");
        export(SourceLayout.ORIGINAL, ckpt, tower);
        Run without = run("-i", ckpt.toString(), "-o", dir.resolve("x").toString());
        assertEquals(1, without.code());
        assertTrue(without.err().contains("--vision-tower"), without.err());
        Run with = run("-i", ckpt.toString(), "-o", dir.resolve("x").toString(), "--vision-tower", tower.toString());
        assertEquals(0, with.code(), with.err());
        assertTrue(with.out().contains("original LLaVA"), with.out());
        assertEquals(
                3,
                GgufReader.read(dir.resolve("x").resolve("mmproj-llava-v1.5-tiny-f16.gguf"))
                        .getInt("clip.vision.block_count"));
    }

    /**
     * Issue 16 item 2: without image processor settings (no processor_config.json or
     * preprocessor_config.json) the mmproj gets CLIP's mean/std, and says so on stderr and in
     * general.description; with them, nothing is reported.
     */
    @Test
    void aDefaultImageNormalisationIsReportedOnStderrAndInTheMmproj() throws IOException {
        LmSpec lm = LmSpec.tinyLlama().withSeed(11);
        ClipSpec clip = ClipSpec.tiny(lm.nEmbd())
                .withLegacy(false)
                .withFeatureLayer(true)
                .withSeed(12);
        Path sp = LlamaCppTree.vocab("llama-spm");
        io.llava4j.synthetic.SyntheticModels.Pair src = io.llava4j.synthetic.SyntheticModels.writePair(
                lm, TransformersExport.llavaHfVocab(sp, dir.resolve("vocab.gguf")), clip, dir.resolve("src"));
        Path ckpt = dir.resolve("v5");
        TransformersExport.write(TransformersExport.Save.V5_18, false, lm, clip, src.lm(), src.mmproj(), sp, ckpt);
        Run with = run("-i", ckpt.toString(), "-o", dir.resolve("a").toString());
        assertEquals(0, with.code(), with.err());
        assertEquals("", with.err());
        assertTrue(
                !GgufReader.read(dir.resolve("a").resolve("mmproj-v5-f16.gguf")).has("general.description"));

        Files.delete(ckpt.resolve("processor_config.json"));
        Run without = run("-i", ckpt.toString(), "-o", dir.resolve("b").toString());
        assertEquals(0, without.code(), without.err());
        assertTrue(
                without.err()
                        .startsWith("warning: no image_mean and image_std (no processor_config.json or"
                                + " preprocessor_config.json): used OpenAI CLIP's defaults, image_mean [0.48145467"),
                without.err());
        GgufFile mm = GgufReader.read(dir.resolve("b").resolve("mmproj-v5-f16.gguf"));
        assertArrayEquals(ClipSpec.IMAGE_MEAN, mm.getFloatArray("clip.vision.image_mean"));
        assertArrayEquals(ClipSpec.IMAGE_STD, mm.getFloatArray("clip.vision.image_std"));
        assertTrue(
                mm.getString("general.description").contains("used OpenAI CLIP's defaults"),
                mm.getString("general.description"));
    }

    @Test
    void kQuantsGoThroughTheQuantizerAndUnknownTypesAreRefused() throws IOException {
        Path ckpt = dir.resolve("ck");
        export(SourceLayout.HF_LLAVA, ckpt, dir.resolve("tower"));
        Run f16 = run("-i", ckpt.toString(), "-o", dir.resolve("k").toString());
        assertEquals(0, f16.code(), f16.err());
        Run k = run("-i", ckpt.toString(), "-o", dir.resolve("k").toString(), "--outtype", "q4_k_m");
        assertEquals(0, k.code(), k.err());
        Path lm = dir.resolve("k").resolve("ck-q4_k_m.gguf");
        Path mm = dir.resolve("k").resolve("mmproj-ck-q4_k_m.gguf");
        assertEquals(15, GgufReader.read(lm).getInt("general.file_type"), "LLAMA_FTYPE_MOSTLY_Q4_K_M");
        assertTrue(Files.size(lm) < Files.size(dir.resolve("k").resolve("ck-f16.gguf")) / 2, "smaller than f16");
        try (Stream<Path> left = Files.list(dir.resolve("k"))) {
            assertEquals(4, left.count(), "the f16 intermediates are gone");
        }
        try (LanguageModel m = LanguageModel.load(lm);
                VisionEncoder enc = VisionEncoder.load(mm, false)) {
            assertEquals(576 * 64, enc.encode(new float[336 * 336 * 3], 336, 336, 2).length);
            assertTrue(m.vocabulary().size() > 0);
        }
        assertEquals(
                2,
                run("-i", ckpt.toString(), "-o", dir.resolve("k").toString(), "--outtype", "q3")
                        .code());
        Run missing =
                run("-i", dir.resolve("nope").toString(), "-o", dir.resolve("k").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nope"), missing.err());
    }
}
