package io.llava4j.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.testmodels.LlamaCppTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads the vocabulary-only GGUFs of the pinned llama.cpp tree (written by the Python {@code gguf}
 * package) and checks what we know about them, then rewrites them with {@link GgufWriter}: the
 * result must be byte-identical, which pins our encoding to the reference writer's.
 */
class GgufVocabFilesTest {
    @TempDir
    Path dir;

    @Test
    void llamaSpmVocabulary() {
        GgufFile f = GgufReader.read(LlamaCppTree.vocab("llama-spm"));
        assertEquals(3, f.version());
        assertEquals("llama", f.architecture());
        assertEquals("llama", f.getString("tokenizer.ggml.model"));
        assertEquals(0, f.tensors().size());
        List<String> tokens = f.getStringArray("tokenizer.ggml.tokens");
        assertEquals(32000, tokens.size());
        assertEquals(List.of("<unk>", "<s>", "</s>"), tokens.subList(0, 3));
        assertEquals("▁the", tokens.get(278));
        assertEquals(32000, f.getFloatArray("tokenizer.ggml.scores").length);
        assertEquals(
                32000,
                f.requireArray("tokenizer.ggml.token_type", GgufValueType.INT32).length());
        assertEquals(1, f.getU32("tokenizer.ggml.bos_token_id"));
        assertEquals(2, f.getU32("tokenizer.ggml.eos_token_id"));
        assertTrue(f.getBool("tokenizer.ggml.add_bos_token"));
        assertEquals(32000, f.getU32("llama.vocab_size"));
        assertEquals(1e-5f, f.getFloat("llama.attention.layer_norm_rms_epsilon"));
    }

    @Test
    void qwen2Vocabulary() {
        GgufFile f = GgufReader.read(LlamaCppTree.vocab("qwen2"));
        assertEquals("qwen2", f.architecture());
        assertEquals("gpt2", f.getString("tokenizer.ggml.model"));
        assertEquals("qwen2", f.getString("tokenizer.ggml.pre"));
        assertEquals(151936, f.getStringArray("tokenizer.ggml.tokens").size());
        assertEquals(151387, f.getStringArray("tokenizer.ggml.merges").size());
        assertEquals(151643, f.getInt("tokenizer.ggml.eos_token_id"));
        assertTrue(f.getString("tokenizer.chat_template").startsWith("{% for message in messages %}"));
        assertEquals(1e6f, f.getFloat("qwen2.rope.freq_base"));
    }

    @Test
    void rewritingTheVocabulariesIsByteIdentical() throws IOException {
        for (String name : List.of("llama-spm", "qwen2")) {
            Path original = LlamaCppTree.vocab(name);
            Path copy = dir.resolve(name + ".gguf");
            new GgufWriter().copyMetadata(GgufReader.read(original)).write(copy);
            assertEquals(-1, Files.mismatch(original, copy), name);
        }
    }
}
