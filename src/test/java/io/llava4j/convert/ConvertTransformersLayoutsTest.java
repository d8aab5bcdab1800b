package io.llava4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.convert.TransformersExport.Save;
import io.llava4j.convert.llava.Converter;
import io.llava4j.convert.llava.OutType;
import io.llava4j.convert.llava.SourceLayout;
import io.llava4j.convert.tokenizer.TokenType;
import io.llava4j.convert.tokenizer.TokenizerExport;
import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.model.LanguageModel;
import io.llava4j.model.ModelOptions;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.synthetic.LmSpec;
import io.llava4j.synthetic.SyntheticModels;
import io.llava4j.testmodels.LlamaCppTree;
import io.llava4j.testmodels.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checkpoints laid out exactly as transformers 4.57 and 5.18 save a LLaVA-1.5 or LLaVA-NeXT model
 * ({@link TransformersExport}, pinned to the real files by {@link ConvertTransformersFixturesTest})
 * convert back to the generated pair they came from: same tensors, same vocabulary (with
 * {@code <image>} and {@code <pad>}), same tokenization, image embeddings and greedy tokens, and the
 * processor's image mean/std (0.5, not CLIP's) in the mmproj. The 5.x folders have no
 * {@code tokenizer.model}, no {@code preprocessor_config.json}, added tokens only in
 * {@code tokenizer.json}, {@code rope_theta} inside {@code rope_parameters} (a non-default 500000
 * here) and the tower without {@code vision_model.}: issue 16's items 1 to 4 together.
 */
class ConvertTransformersLayoutsTest {
    @TempDir
    Path dir;

    /** Both versions for both models; the in-memory names once, for LLaVA-NeXT (which has every name LLaVA has). */
    static Stream<Arguments> saves() {
        return Stream.of(
                Arguments.of(Save.V4_57, false),
                Arguments.of(Save.V4_57, true),
                Arguments.of(Save.V5_18, false),
                Arguments.of(Save.V5_18, true),
                Arguments.of(Save.V5_18_NATIVE, true));
    }

    private static LmSpec lm() {
        return new LmSpec(
                "llama", "llama-spm", 64, 2, 4, 4, 128, 4096, 1e-5f, 500_000f, GgmlType.F32, GgmlType.F32, false, 7);
    }

    private static ClipSpec clip(boolean next) {
        return ClipSpec.tiny(64)
                .withLegacy(false)
                .withFeatureLayer(true)
                .withAnyres(next)
                .withSeed(8);
    }

    /** The generated pair on the llava-hf vocabulary, and its checkpoint as {@code save} writes it. */
    private SyntheticModels.Pair export(Save save, boolean next, Path ckpt) throws IOException {
        Path sp = LlamaCppTree.vocab("llama-spm");
        SyntheticModels.Pair src = SyntheticModels.writePair(
                lm(), TransformersExport.llavaHfVocab(sp, dir.resolve("vocab.gguf")), clip(next), dir.resolve("src"));
        TransformersExport.write(save, next, lm(), clip(next), src.lm(), src.mmproj(), sp, ckpt);
        return src;
    }

    @ParameterizedTest(name = "{0}, LLaVA-NeXT {1}")
    @MethodSource("saves")
    void savedByTransformersConvertsBackToTheOriginal(Save save, boolean next) throws IOException {
        Path ckpt = dir.resolve("ckpt");
        SyntheticModels.Pair src = export(save, next, ckpt);
        Converter.Result r =
                Converter.convert(new Converter.Options(ckpt, dir.resolve("out"), OutType.F32, null, "tiny"));
        assertEquals(next ? SourceLayout.HF_LLAVA_NEXT : SourceLayout.HF_LLAVA, r.layout());
        assertEquals("llama/default", r.tokenizer());
        assertEquals(List.of(), r.warnings(), "mean/std are in the processor files, merges are the converter's");

        GgufFile lmIn = GgufReader.read(src.lm());
        GgufFile lmOut = GgufReader.read(r.languageModel());
        ConvertLayoutsTest.assertSameTensors(lmIn, lmOut);
        assertSameValues(
                lmIn,
                lmOut,
                "llama.block_count",
                "llama.context_length",
                "llama.embedding_length",
                "llama.feed_forward_length",
                "llama.attention.head_count",
                "llama.attention.head_count_kv",
                "llama.attention.layer_norm_rms_epsilon",
                "llama.rope.freq_base",
                "tokenizer.ggml.model",
                "tokenizer.ggml.tokens",
                "tokenizer.ggml.token_type",
                "tokenizer.ggml.bos_token_id",
                "tokenizer.ggml.eos_token_id",
                "tokenizer.ggml.padding_token_id",
                "tokenizer.ggml.add_bos_token");
        assertEquals(500_000f, lmOut.getFloat("llama.rope.freq_base"), "rope_theta / rope_parameters.rope_theta");
        assertEquals(CheckpointExport.TEMPLATE, lmOut.getString("tokenizer.chat_template"), "chat_template.jinja");
        List<String> tokens = lmOut.getStringArray("tokenizer.ggml.tokens");
        assertEquals(List.of("<image>", "<pad>", "[PAD32002]"), tokens.subList(32000, 32003));
        if (save.v4()) { // from tokenizer.model: SentencePiece's own scores
            assertArrayEquals(
                    lmIn.getFloatArray("tokenizer.ggml.scores"), lmOut.getFloatArray("tokenizer.ggml.scores"));
        }

        GgufFile mmIn = GgufReader.read(src.mmproj());
        GgufFile mmOut = GgufReader.read(r.mmproj());
        ConvertLayoutsTest.assertSameTensors(mmIn, mmOut);
        assertSameValues(
                mmIn,
                mmOut,
                "clip.projector_type",
                "clip.vision.image_size",
                "clip.vision.patch_size",
                "clip.vision.embedding_length",
                "clip.vision.feed_forward_length",
                "clip.vision.block_count",
                "clip.vision.attention.head_count",
                "clip.vision.projection_dim",
                "clip.vision.feature_layer",
                "clip.use_gelu",
                "clip.vision.attention.layer_norm_epsilon");
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, mmOut.getFloatArray("clip.vision.image_mean"));
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, mmOut.getFloatArray("clip.vision.image_std"));
        assertFalse(mmOut.has("general.description"), "no default was used");
        if (next) {
            assertArrayEquals(
                    mmIn.getIntArray("clip.vision.image_grid_pinpoints"),
                    mmOut.getIntArray("clip.vision.image_grid_pinpoints"));
        }

        ConvertLayoutsTest.assertSameTokenization(src.lm(), r.languageModel());
        try (LanguageModel a = LanguageModel.load(src.lm(), ModelOptions.vocabularyOnly());
                LanguageModel b = LanguageModel.load(r.languageModel(), ModelOptions.vocabularyOnly())) {
            String prompt = "USER: <image>\nWhat is shown in this image? ASSISTANT:";
            int[] ids = b.vocabulary().tokenize(prompt, true, true);
            assertArrayEquals(a.vocabulary().tokenize(prompt, true, true), ids);
            assertTrue(java.util.Arrays.stream(ids).anyMatch(id -> id == 32000), "<image> is one special token");
        }
        ConvertLayoutsTest.assertSameGreedyAfterImage(
                new TinyModels.Pair(src.lm(), src.mmproj()), r, clip(next).imageSize());
    }

    /**
     * Issue 16 item 3: with a {@code tokenizer.model} next to transformers 5's files (whose added tokens
     * are only in {@code tokenizer.json}), {@code <image>} and {@code <pad>} keep their names and types
     * instead of becoming {@code [PAD32000]} / {@code [PAD32001]} (UNUSED).
     */
    @Test
    void addedTokensKnownOnlyToTokenizerJsonKeepTheirNamesNextToATokenizerModel() throws IOException {
        Path ckpt = dir.resolve("ckpt");
        export(Save.V5_18, false, ckpt);
        VocabFiles.sentencePiece(GgufReader.read(LlamaCppTree.vocab("llama-spm")), ckpt.resolve("tokenizer.model"));
        TokenizerExport t = TokenizerExport.read(ckpt, TransformersExport.VOCAB_SIZE, true);
        assertEquals(List.of("<image>", "<pad>", "[PAD32002]"), t.tokens().subList(32000, 32003));
        assertEquals(TokenType.CONTROL, t.types()[32000]);
        assertEquals(TokenType.CONTROL, t.types()[32001]);
        assertEquals(TokenType.UNUSED, t.types()[32002]);
        assertEquals(32001, t.special().ids().get("pad"));
    }

    /** A transformers checkpoint whose tower names are none of the known forms: the message names both. */
    @Test
    void unknownTowerNamesAreReportedWithTheNamesFound() throws IOException {
        Path ckpt = dir.resolve("ckpt");
        Files.createDirectories(ckpt);
        CheckpointExport.json(
                ckpt.resolve("config.json"), TransformersExport.config(Save.V5_18, false, lm(), clip(false)));
        CheckpointFiles.safetensors(
                ckpt.resolve("model.safetensors"),
                java.util.Map.of(
                        "language_model.model.embed_tokens.weight",
                                new CheckpointFiles.Tensor(new long[] {4, 64}, new float[256]),
                        "visual.blocks.0.attn.qkv.weight",
                                new CheckpointFiles.Tensor(new long[] {2, 2}, new float[4])));
        CheckpointException e = org.junit.jupiter.api.Assertions.assertThrows(
                CheckpointException.class,
                () -> Converter.convert(new Converter.Options(ckpt, dir.resolve("out"), OutType.F16, null, null)));
        assertTrue(
                e.getMessage()
                        .contains("vision_tower.vision_model., vision_model., model.vision_tower., vision_tower."),
                e.getMessage());
        assertTrue(e.getMessage().contains("visual.blocks.*"), e.getMessage());
        assertFalse(e.getMessage().contains("--vision-tower"), "transformers checkpoints always hold their tower");
    }

    /**
     * As transformers 5 reads them ({@code ImageProcessingMixin.get_image_processor_dict}): the
     * {@code image_processor} entry of {@code processor_config.json} before a
     * {@code preprocessor_config.json}, which is used when the former has none.
     */
    @Test
    void imageProcessorSettingsComeFromProcessorConfigFirst() throws IOException {
        Path ckpt = dir.resolve("ckpt");
        export(Save.V5_18, false, ckpt);
        CheckpointExport.json(
                ckpt.resolve("preprocessor_config.json"),
                HfTokenizerFiles.obj("image_mean", List.of(0.25, 0.25, 0.25), "image_std", List.of(0.75, 0.75, 0.75)));
        Converter.Result nested =
                Converter.convert(new Converter.Options(ckpt, dir.resolve("a"), OutType.F16, null, "m"));
        assertArrayEquals(
                new float[] {0.5f, 0.5f, 0.5f},
                GgufReader.read(nested.mmproj()).getFloatArray("clip.vision.image_mean"));

        CheckpointExport.json(
                ckpt.resolve("processor_config.json"),
                HfTokenizerFiles.obj(
                        "patch_size", 14L, "processor_class", "LlavaProcessor")); // 4.x: no image_processor entry
        Converter.Result legacy =
                Converter.convert(new Converter.Options(ckpt, dir.resolve("b"), OutType.F16, null, "m"));
        GgufFile mm = GgufReader.read(legacy.mmproj());
        assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f}, mm.getFloatArray("clip.vision.image_mean"));
        assertArrayEquals(new float[] {0.75f, 0.75f, 0.75f}, mm.getFloatArray("clip.vision.image_std"));
        assertEquals(List.of(), legacy.warnings());
        assertTrue(Files.isRegularFile(legacy.languageModel()));
    }

    private static void assertSameValues(GgufFile expected, GgufFile actual, String... keys) {
        for (String key : keys) {
            assertEquals(expected.value(key), actual.value(key), key);
        }
    }
}
