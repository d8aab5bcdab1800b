package io.llava4j.testmodels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufTensorInfo;
import io.llava4j.gguf.GgufValueType;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.synthetic.LmSpec;
import io.llava4j.synthetic.RandomWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test-model factory writes what llama.cpp's loaders read (keys, key types, tensor names and
 * shapes, as checked with the Java reader here and with llama.cpp itself in
 * {@link TinyModelsLlamaCppToolsTest}), and the same seed gives the same bytes.
 */
class TinyModelsTest {
    @TempDir
    Path dir;

    private static void assertDims(GgufFile f, String tensor, GgmlType type, long... dims) {
        GgufTensorInfo t = f.tensor(tensor);
        assertEquals(type, t.type(), tensor);
        assertArrayEquals(dims, t.dims(), tensor);
    }

    @Test
    void llava15LanguageModelHasLlamaKeysAndTheFullSpmTokenizer() {
        TinyModels.Pair p = TinyModels.llava15(dir, 7);
        GgufFile lm = GgufReader.read(p.lm());
        assertEquals("llama", lm.architecture());
        assertEquals("llava4j tiny llama (random weights, seed 7)", lm.getString("general.name"));
        assertEquals(4096, lm.getU32("llama.context_length"));
        assertEquals(64, lm.getU32("llama.embedding_length"));
        assertEquals(2, lm.getU32("llama.block_count"));
        assertEquals(128, lm.getU32("llama.feed_forward_length"));
        assertEquals(4, lm.getU32("llama.attention.head_count"));
        assertEquals(4, lm.getU32("llama.attention.head_count_kv"));
        assertEquals(16, lm.getU32("llama.rope.dimension_count"));
        assertEquals(1e-5f, lm.getFloat("llama.attention.layer_norm_rms_epsilon"));
        assertEquals(10000f, lm.getFloat("llama.rope.freq_base"));
        assertEquals(32000, lm.getU32("llama.vocab_size"));
        assertEquals(0, lm.getU32("general.file_type"));

        GgufFile vocab = GgufReader.read(LlamaCppTree.vocab("llama-spm"));
        List<String> tokenizerKeys =
                vocab.keys().stream().filter(k -> k.startsWith("tokenizer.")).toList();
        assertEquals(10, tokenizerKeys.size());
        for (String k : tokenizerKeys) {
            assertEquals(vocab.value(k), lm.value(k), k);
        }

        assertEquals(3 + 9 * 2, lm.tensors().size());
        assertDims(lm, "token_embd.weight", GgmlType.F32, 64, 32000);
        assertDims(lm, "output.weight", GgmlType.F32, 64, 32000);
        assertDims(lm, "output_norm.weight", GgmlType.F32, 64);
        for (int i = 0; i < 2; i++) {
            String b = "blk." + i + ".";
            assertDims(lm, b + "attn_norm.weight", GgmlType.F32, 64);
            assertDims(lm, b + "attn_q.weight", GgmlType.F32, 64, 64);
            assertDims(lm, b + "attn_k.weight", GgmlType.F32, 64, 64);
            assertDims(lm, b + "attn_v.weight", GgmlType.F32, 64, 64);
            assertDims(lm, b + "attn_output.weight", GgmlType.F32, 64, 64);
            assertDims(lm, b + "ffn_norm.weight", GgmlType.F32, 64);
            assertDims(lm, b + "ffn_gate.weight", GgmlType.F32, 64, 128);
            assertDims(lm, b + "ffn_up.weight", GgmlType.F32, 64, 128);
            assertDims(lm, b + "ffn_down.weight", GgmlType.F32, 128, 64);
        }
    }

    @Test
    void llava15MmprojHasTheLegacyLlavaLayoutWithUint32Counts() {
        TinyModels.Pair p = TinyModels.llava15(dir, 7);
        GgufFile mm = GgufReader.read(p.mmproj());
        assertEquals("clip", mm.architecture());
        assertEquals("mlp", mm.getString("clip.projector_type"));
        assertTrue(mm.getBool("clip.has_vision_encoder"));
        assertTrue(mm.getBool("clip.has_llava_projector"));
        assertFalse(mm.getBool("clip.use_gelu"));
        for (String k : List.of(
                "image_size",
                "patch_size",
                "embedding_length",
                "feed_forward_length",
                "projection_dim",
                "attention.head_count",
                "block_count")) {
            mm.requireType("clip.vision." + k, GgufValueType.UINT32); // clip.cpp aborts on any other type
        }
        assertEquals(336, mm.getU32("clip.vision.image_size"));
        assertEquals(14, mm.getU32("clip.vision.patch_size"));
        assertEquals(2, mm.getU32("clip.vision.block_count"), "legacy: last of 3 layers dropped");
        assertEquals(24, mm.getU32("clip.vision.projection_dim"), "legacy: CLIP's own width, not the LM's");
        assertArrayEquals(ClipSpec.IMAGE_MEAN, mm.getFloatArray("clip.vision.image_mean"));
        assertArrayEquals(ClipSpec.IMAGE_STD, mm.getFloatArray("clip.vision.image_std"));
        assertFalse(mm.has("clip.vision.feature_layer"));
        assertFalse(mm.has("clip.vision.image_grid_pinpoints"));

        assertDims(mm, "mm.0.weight", GgmlType.F32, 32, 64);
        assertDims(mm, "mm.2.weight", GgmlType.F32, 64, 64);
        assertDims(mm, "mm.2.bias", GgmlType.F32, 64);
        assertDims(mm, "v.class_embd", GgmlType.F32, 32);
        assertDims(mm, "v.patch_embd.weight", GgmlType.F16, 14, 14, 3, 32);
        assertDims(mm, "v.position_embd.weight", GgmlType.F32, 32, 577);
        assertDims(mm, "v.pre_ln.weight", GgmlType.F32, 32);
        assertDims(mm, "v.blk.1.ffn_down.weight", GgmlType.F32, 32, 128); // legacy name of fc1
        assertDims(mm, "v.blk.1.ffn_up.weight", GgmlType.F32, 128, 32);
        assertDims(mm, "v.blk.1.attn_out.bias", GgmlType.F32, 32);
        assertFalse(mm.hasTensor("v.blk.2.ln1.weight"));
        assertFalse(mm.hasTensor("model.image_newline") || mm.hasTensor("v.image_newline"));
        assertEquals(9 + 16 * 2, mm.tensors().size());
    }

    @Test
    void llavaNextQwen2PairHasBiasesAnyresKeysAndFullLayout() {
        TinyModels.Pair p = TinyModels.llavaNextQwen2(dir, 3);
        GgufFile lm = GgufReader.read(p.lm());
        assertEquals("qwen2", lm.architecture());
        assertEquals(151936, lm.getStringArray("tokenizer.ggml.tokens").size());
        assertEquals(151387, lm.getStringArray("tokenizer.ggml.merges").size());
        assertEquals(2, lm.getU32("qwen2.attention.head_count_kv"));
        assertEquals(1, lm.getU32("general.file_type"));
        assertDims(lm, "token_embd.weight", GgmlType.F16, 64, 151936);
        assertDims(lm, "output.weight", GgmlType.F16, 64, 151936);
        assertDims(lm, "blk.1.attn_q.bias", GgmlType.F32, 64);
        assertDims(lm, "blk.1.attn_k.weight", GgmlType.F32, 64, 32);
        assertDims(lm, "blk.1.attn_k.bias", GgmlType.F32, 32);
        assertDims(lm, "blk.1.attn_v.bias", GgmlType.F32, 32);

        GgufFile mm = GgufReader.read(p.mmproj());
        mm.requireArray("clip.vision.image_grid_pinpoints", GgufValueType.INT32); // clip.cpp's get_arr_int wants INT32
        assertArrayEquals(
                new int[] {336, 672, 672, 336, 672, 672, 1008, 336, 336, 1008},
                mm.getIntArray("clip.vision.image_grid_pinpoints"));
        assertEquals("spatial_unpad", mm.getString("clip.vision.mm_patch_merge_type"));
        mm.requireArray("clip.vision.feature_layer", GgufValueType.INT32);
        assertArrayEquals(new int[] {2}, mm.getIntArray("clip.vision.feature_layer"));
        assertEquals(3, mm.getU32("clip.vision.block_count"));
        assertEquals(64, mm.getU32("clip.vision.projection_dim"));
        assertFalse(mm.has("clip.has_llava_projector"));
        assertDims(mm, "v.image_newline", GgmlType.F32, 64);
        assertDims(mm, "v.blk.2.ffn_up.weight", GgmlType.F32, 32, 128); // standard name of fc1
        assertDims(mm, "v.blk.2.ffn_down.weight", GgmlType.F32, 128, 32);
    }

    /**
     * The SigLIP flavour as LLaVA-NeXT-Interleave's tower (google/siglip-so400m-patch14-384 in
     * LLaVA-NeXT's SigLipVisionTower): what clip.cpp's load_tensors reads as optional is absent
     * (v.class_embd, v.pre_ln) or present (v.patch_embd.bias), one position per patch, GELU,
     * mean = std = 0.5, and the last of 3 layers dropped with feature_layer pointing at the last
     * stored block.
     */
    @Test
    void siglipMmprojHasNoClassTokenNoPreLnAPatchBiasAndSiglipNormalisation() throws IOException {
        ClipSpec spec = ClipSpec.tinySiglip(64).withSeed(5);
        Path out = TinyModels.writeMmproj(spec, dir.resolve("siglip.gguf"));
        GgufFile mm = GgufReader.read(out);
        assertEquals("mlp", mm.getString("clip.projector_type"));
        assertEquals(384, mm.getU32("clip.vision.image_size"));
        assertEquals(14, mm.getU32("clip.vision.patch_size"));
        assertEquals(729, spec.nPatches());
        assertTrue(mm.getBool("clip.use_gelu"), "gelu_pytorch_tanh, not CLIP's quick_gelu");
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, mm.getFloatArray("clip.vision.image_mean"));
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, mm.getFloatArray("clip.vision.image_std"));
        assertEquals(1e-6f, mm.getFloat("clip.vision.attention.layer_norm_epsilon"));
        assertEquals(2, mm.getU32("clip.vision.block_count"), "SigLipVisionTower drops the last of 3 layers");
        assertArrayEquals(new int[] {2}, mm.getIntArray("clip.vision.feature_layer"));
        assertEquals(64, mm.getU32("clip.vision.projection_dim"));
        assertFalse(mm.has("clip.has_llava_projector"));
        assertFalse(mm.has("clip.vision.image_grid_pinpoints"));

        assertFalse(mm.hasTensor("v.class_embd"));
        assertFalse(mm.hasTensor("v.pre_ln.weight") || mm.hasTensor("v.pre_ln.bias"));
        assertDims(mm, "v.patch_embd.weight", GgmlType.F16, 14, 14, 3, 32);
        assertDims(mm, "v.patch_embd.bias", GgmlType.F32, 32);
        assertDims(mm, "v.position_embd.weight", GgmlType.F32, 32, 729);
        assertDims(mm, "v.blk.1.ffn_up.weight", GgmlType.F32, 32, 128);
        assertDims(mm, "v.blk.1.ffn_down.weight", GgmlType.F32, 128, 32);
        assertFalse(mm.hasTensor("v.blk.2.ln1.weight"));
        assertEquals(4 + 3 + 16 * 2, mm.tensors().size());

        Path again = TinyModels.writeMmproj(spec, dir.resolve("siglip2.gguf"));
        assertEquals(-1, Files.mismatch(out, again));
        assertThrows(IllegalArgumentException.class, () -> spec.withLegacy(true));
    }

    @Test
    void legacyAnyresUsesTheLegacyNewlineNameAndF16Matrices() {
        Path out = TinyModels.writeMmproj(
                ClipSpec.tiny(64).withAnyres(true).withWeightType(GgmlType.F16).withImageSize(112),
                dir.resolve("mm.gguf"));
        GgufFile mm = GgufReader.read(out);
        assertDims(mm, "model.image_newline", GgmlType.F32, 64);
        assertFalse(mm.hasTensor("v.image_newline"));
        assertDims(mm, "v.position_embd.weight", GgmlType.F16, 32, 65);
        assertDims(mm, "mm.0.weight", GgmlType.F16, 32, 64);
        assertDims(mm, "mm.0.bias", GgmlType.F32, 64);
        assertEquals(1, mm.getU32("general.file_type"));
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherWeights() throws IOException {
        TinyModels.Pair a = TinyModels.llava15(dir.resolve("a"), 11);
        TinyModels.Pair b = TinyModels.llava15(dir.resolve("b"), 11);
        TinyModels.Pair c = TinyModels.llava15(dir.resolve("c"), 12);
        assertEquals(-1, Files.mismatch(a.lm(), b.lm()));
        assertEquals(-1, Files.mismatch(a.mmproj(), b.mmproj()));
        assertNotEquals(-1, Files.mismatch(a.lm(), c.lm()));
        assertNotEquals(-1, Files.mismatch(a.mmproj(), c.mmproj()));
    }

    @Test
    void weightsAreTheDocumentedDistribution() {
        LmSpec spec = LmSpec.tinyLlama().withSeed(5);
        GgufFile lm = GgufReader.read(TinyModels.writeLm(spec, dir.resolve("lm.gguf")));
        float[] q = lm.readTensorFloats("blk.0.attn_q.weight");
        assertArrayEquals(RandomWeights.normalArray(5, "blk.0.attn_q.weight", 64 * 64, 0f, 0.125f), q);
        assertStats(q, 0, 0.125, "attn_q: std 1/sqrt(64)");
        assertStats(lm.readTensorFloats("blk.1.ffn_down.weight"), 0, 1 / Math.sqrt(128), "ffn_down: std 1/sqrt(128)");
        assertStats(lm.readTensorFloats("token_embd.weight"), 0, 1, "embeddings");
        assertStats(lm.readTensorFloats("output_norm.weight"), 1, 0.02, "norms");
        float[] big = RandomWeights.normalArray(1, "x", 3 * RandomWeights.CHUNK + 5, 0f, 1f);
        assertStats(big, 0, 1, "several chunks");
    }

    private static void assertStats(float[] v, double mean, double std, String what) {
        double s = 0;
        double s2 = 0;
        for (float x : v) {
            s += x;
            s2 += x * x;
        }
        double m = s / v.length;
        double sd = Math.sqrt(s2 / v.length - m * m);
        assertEquals(mean, m, 4 * std / Math.sqrt(v.length) + 1e-6, what + " mean");
        assertEquals(std, sd, std * Math.max(0.05, 3 / Math.sqrt(2.0 * v.length)), what + " std");
    }

    @Test
    void specsRefuseShapesLlamaCppWouldReject() {
        assertThrows(IllegalArgumentException.class, () -> LmSpec.tinyLlama().withShape(64, 2, 5, 5, 128));
        assertThrows(IllegalArgumentException.class, () -> LmSpec.tinyLlama().withShape(64, 2, 4, 3, 128));
        assertThrows(IllegalArgumentException.class, () -> LmSpec.tinyLlama().withTypes(GgmlType.Q4_0, GgmlType.F32));
        assertThrows(IllegalArgumentException.class, () -> ClipSpec.tiny(64).withImageSize(100));
        assertThrows(IllegalArgumentException.class, () -> ClipSpec.tiny(64).withShape(30, 4, 128, 3));
        assertThrows(
                IllegalArgumentException.class, () -> TinyModels.writePair(LmSpec.tinyLlama(), ClipSpec.tiny(32), dir));
        LmSpec big = LmSpec.llama2x7b();
        assertEquals(128, big.headDim());
        assertEquals(4096, big.nEmbdKv());
        assertEquals(576, ClipSpec.clipL336(4096).nPatches());
        assertEquals(23, ClipSpec.clipL336(4096).blocksWritten());
    }
}
