package io.llava4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.convert.llava.Converter;
import io.llava4j.convert.llava.OutType;
import io.llava4j.convert.llava.SourceLayout;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufTensorInfo;
import io.llava4j.model.ContextOptions;
import io.llava4j.model.InferenceContext;
import io.llava4j.model.LanguageModel;
import io.llava4j.model.ModelOptions;
import io.llava4j.sampling.Sampler;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.synthetic.LmSpec;
import io.llava4j.testmodels.LlamaCppTree;
import io.llava4j.testmodels.TinyModels;
import io.llava4j.vision.VisionEncoder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * For each input layout: a tiny checkpoint exported from a known random-weight GGUF pair (with
 * real tokenizer files made from llama.cpp's vocabulary GGUFs) converts back to a pair whose
 * tensors equal the original's, whose metadata says the same, which loads in llama.cpp, tokenizes
 * like the source vocabulary, encodes an image to the same embeddings and generates the same
 * greedy tokens after it.
 */
class ConvertLayoutsTest {
    private static final List<String> TEXTS = List.of(
            "Hello world",
            " What is shown in this image?",
            "USER: <image>\nDescribe the picture. ASSISTANT:",
            "Ünïcödé 123 4567 — ok?!",
            "  two  spaces\n\nnew lines",
            "<|im_start|>user\nhi<|im_end|>");

    @TempDir
    Path dir;

    /** The layouts with their language model: LLaMA for all but LLaVA-NeXT (Qwen2), anyres for the NeXT ones. */
    private static LmSpec lmFor(SourceLayout layout) {
        return layout == SourceLayout.NEXT
                ? LmSpec.tinyQwen2().withSeed(7)
                : LmSpec.tinyLlama().withSeed(7);
    }

    private static ClipSpec clipFor(SourceLayout layout, int width) {
        boolean anyres = layout == SourceLayout.HF_LLAVA_NEXT || layout == SourceLayout.NEXT;
        return ClipSpec.tiny(width)
                .withLegacy(false)
                .withFeatureLayer(true)
                .withAnyres(anyres)
                .withSeed(8);
    }

    @ParameterizedTest
    @EnumSource(SourceLayout.class)
    void convertedPairEqualsTheOriginal(SourceLayout layout) throws IOException {
        LmSpec lm = lmFor(layout);
        assertRoundTrip(layout, lm, clipFor(layout, lm.nEmbd()));
    }

    /**
     * lmms-lab/llava-next-interleave-qwen-0.5b: a Qwen2 language model with LLaVA-NeXT's SigLIP tower
     * (google/siglip-so400m-patch14-384 shape in small: 384 px, patch 14, 729 patches, no class
     * embedding, patch bias, GELU, mean = std = 0.5, last layer dropped, post-LN unused) and anyres
     * tiles of 384. The checkpoint has no preprocessor config, so mean/std must come from SigLIP's
     * defaults, and the tower config leaves hidden_act and layer_norm_eps at SiglipVisionConfig's.
     */
    @Test
    void interleaveQwenWithSiglipTowerEqualsTheOriginal() throws IOException {
        LmSpec lm = LmSpec.tinyQwen2().withSeed(7);
        ClipSpec clip = ClipSpec.tinySiglip(lm.nEmbd()).withAnyres(true).withSeed(8);
        assertRoundTrip(SourceLayout.NEXT, lm, clip);
    }

    private void assertRoundTrip(SourceLayout layout, LmSpec lm, ClipSpec clip) throws IOException {
        TinyModels.Pair src = TinyModels.writePair(lm, clip, dir.resolve("src"));
        Path ckpt = dir.resolve("checkpoint");
        Path tower = dir.resolve("tower");
        CheckpointExport.write(layout, lm, clip, src.lm(), src.mmproj(), LlamaCppTree.vocab(lm.vocab()), ckpt, tower);
        boolean needsTower =
                layout == SourceLayout.ORIGINAL || layout == SourceLayout.NEXT || layout == SourceLayout.PADDLE;

        Converter.Result r = Converter.convert(
                new Converter.Options(ckpt, dir.resolve("out"), OutType.F32, needsTower ? tower : null, "tiny"));
        assertEquals(layout, r.layout());
        assertEquals(dir.resolve("out").resolve("tiny-f32.gguf"), r.languageModel());
        assertEquals(dir.resolve("out").resolve("mmproj-tiny-f32.gguf"), r.mmproj());

        GgufFile lmIn = GgufReader.read(src.lm());
        GgufFile lmOut = GgufReader.read(r.languageModel());
        assertSameTensors(lmIn, lmOut);
        String a = lm.arch();
        for (String key : List.of(
                a + ".block_count",
                a + ".context_length",
                a + ".embedding_length",
                a + ".feed_forward_length",
                a + ".attention.head_count",
                a + ".attention.head_count_kv",
                a + ".attention.layer_norm_rms_epsilon",
                a + ".rope.freq_base",
                "tokenizer.ggml.model",
                "tokenizer.ggml.pre",
                "tokenizer.ggml.tokens",
                "tokenizer.ggml.bos_token_id",
                "tokenizer.ggml.eos_token_id")) {
            assertEquals(lmIn.value(key), lmOut.value(key), key);
        }
        if (a.equals("llama")) {
            assertArrayEquals(
                    lmIn.getFloatArray("tokenizer.ggml.scores"), lmOut.getFloatArray("tokenizer.ggml.scores"));
            assertArrayEquals(
                    lmIn.getIntArray("tokenizer.ggml.token_type"), lmOut.getIntArray("tokenizer.ggml.token_type"));
        } else {
            assertEquals(lmIn.getStringArray("tokenizer.ggml.merges"), lmOut.getStringArray("tokenizer.ggml.merges"));
        }
        if (layout == SourceLayout.HF_LLAVA || layout == SourceLayout.PADDLE) {
            assertEquals(CheckpointExport.TEMPLATE, lmOut.getString("tokenizer.chat_template"));
        }

        GgufFile mmIn = GgufReader.read(src.mmproj());
        GgufFile mmOut = GgufReader.read(r.mmproj());
        assertSameTensors(mmIn, mmOut);
        for (String key : List.of(
                "clip.projector_type",
                "clip.vision.image_size",
                "clip.vision.patch_size",
                "clip.vision.embedding_length",
                "clip.vision.feed_forward_length",
                "clip.vision.block_count",
                "clip.vision.attention.head_count",
                "clip.vision.projection_dim",
                "clip.vision.feature_layer",
                "clip.vision.image_mean",
                "clip.vision.image_std",
                "clip.use_gelu",
                "clip.vision.attention.layer_norm_epsilon")) {
            assertEquals(mmIn.value(key), mmOut.value(key), key);
        }
        if (clip.anyres()) {
            assertArrayEquals(
                    mmIn.getIntArray("clip.vision.image_grid_pinpoints"),
                    mmOut.getIntArray("clip.vision.image_grid_pinpoints"));
            assertEquals("spatial_unpad", mmOut.getString("clip.vision.mm_patch_merge_type"));
        } else {
            assertTrue(!mmOut.has("clip.vision.image_grid_pinpoints"));
        }

        assertSameTokenization(src.lm(), r.languageModel());
        assertSameGreedyAfterImage(src, r, clip.imageSize());
    }

    static void assertSameTensors(GgufFile expected, GgufFile actual) {
        assertEquals(
                new TreeSet<>(names(expected)),
                new TreeSet<>(names(actual)),
                actual.path().toString());
        for (GgufTensorInfo t : expected.tensors()) {
            GgufTensorInfo o = actual.tensor(t.name());
            assertArrayEquals(t.dims(), o.dims(), t.name());
            assertArrayEquals(expected.readTensorFloats(t.name()), actual.readTensorFloats(t.name()), t.name());
        }
    }

    private static List<String> names(GgufFile f) {
        return f.tensors().stream().map(GgufTensorInfo::name).toList();
    }

    static void assertSameTokenization(Path expected, Path actual) {
        try (LanguageModel a = LanguageModel.load(expected, ModelOptions.vocabularyOnly());
                LanguageModel b = LanguageModel.load(actual, ModelOptions.vocabularyOnly())) {
            for (String text : TEXTS) {
                for (boolean special : new boolean[] {false, true}) {
                    assertArrayEquals(
                            a.vocabulary().tokenize(text, special, special),
                            b.vocabulary().tokenize(text, special, special),
                            text);
                }
            }
        }
    }

    /** Prompt, image embeddings, prompt; then 12 greedy tokens. Both pairs must agree exactly. */
    static void assertSameGreedyAfterImage(TinyModels.Pair src, Converter.Result r, int size) {
        float[] image = new float[size * size * 3];
        for (int i = 0; i < image.length; i++) {
            image[i] = (float) Math.sin(i * 0.013) * 1.5f;
        }
        float[] e1;
        float[] e2;
        try (VisionEncoder a = VisionEncoder.load(src.mmproj(), false);
                VisionEncoder b = VisionEncoder.load(r.mmproj(), false)) {
            e1 = a.encode(image, size, size, 2);
            e2 = b.encode(image, size, size, 2);
        }
        assertArrayEquals(e1, e2, "image embeddings");
        assertArrayEquals(greedy(src.lm(), e1), greedy(r.languageModel(), e2), "greedy tokens after the image");
    }

    private static int[] greedy(Path model, float[] embeddings) {
        try (LanguageModel m = LanguageModel.load(model);
                InferenceContext ctx = m.newContext(
                        ContextOptions.defaults().withContextLength(1024).withThreads(2))) {
            int[] head = m.vocabulary().tokenize("USER: ", true, false);
            int[] tail = m.vocabulary().tokenize("\nWhat is in the picture? ASSISTANT:", false, false);
            ctx.decode(head, 0, head.length);
            ctx.decodeEmbeddings(embeddings, 0, embeddings.length / m.embeddingWidth());
            ctx.decode(tail, 0, tail.length);
            int[] out = new int[12];
            for (int i = 0; i < out.length; i++) {
                int best = ctx.readLogits(Sampler::argmax);
                out[i] = best;
                ctx.decode(best);
            }
            return out;
        }
    }

    @Test
    void originalLayoutWithoutTheTowerAsksForVisionTower() throws IOException {
        LmSpec lm = LmSpec.tinyLlama().withSeed(3);
        ClipSpec clip = clipFor(SourceLayout.ORIGINAL, lm.nEmbd());
        TinyModels.Pair src = TinyModels.writePair(lm, clip, dir.resolve("src"));
        CheckpointExport.write(
                SourceLayout.ORIGINAL,
                lm,
                clip,
                src.lm(),
                src.mmproj(),
                LlamaCppTree.vocab(lm.vocab()),
                dir.resolve("ckpt"),
                dir.resolve("tower"));
        CheckpointException e = assertThrows(
                CheckpointException.class,
                () -> Converter.convert(
                        new Converter.Options(dir.resolve("ckpt"), dir.resolve("out"), OutType.F16, null, null)));
        assertTrue(e.getMessage().contains("--vision-tower"), e.getMessage());
        assertTrue(e.getMessage().contains("openai/clip-vit-large-patch14-336"), e.getMessage());
    }
}
