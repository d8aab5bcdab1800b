package io.llava4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.convert.HfTokenizerFiles.Style;
import io.llava4j.convert.tokenizer.TokenType;
import io.llava4j.convert.tokenizer.TokenizerExport;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufWriter;
import io.llava4j.model.LanguageModel;
import io.llava4j.model.ModelOptions;
import io.llava4j.testmodels.LlamaCppTree;
import io.llava4j.testmodels.VocabTestVectors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A LLaMA vocabulary built from {@code tokenizer.json} alone (no {@code tokenizer.model}, as
 * transformers 5 saves it) tokenizes, through llama.cpp, exactly like the SentencePiece model: on
 * llama.cpp's own test vectors for that vocabulary ({@code models/ggml-vocab-llama-spm.gguf.inp} /
 * {@code .out}, the ids of the reference tokenizer) and with special tokens and BOS. Both forms of
 * the file are checked: the one {@code LlamaConverter} writes (merges by score; what llava-hf
 * checkpoints carry and transformers 5 re-saves) and transformers 5's {@code LlamaTokenizer} (merges by
 * id, Metaspace pre-tokenizer).
 */
class ConvertTokenizerJsonTest {

    @TempDir
    Path dir;

    private Path tokenizerJsonOnly(Style style) {
        GgufFile sp = GgufReader.read(LlamaCppTree.vocab("llama-spm"));
        Path tok = dir.resolve("tok-" + style);
        CheckpointExport.json(
                tok.resolve("tokenizer.json"), HfTokenizerFiles.tokenizerJson(sp, style, TransformersExport.ADDED));
        CheckpointExport.json(
                tok.resolve("tokenizer_config.json"),
                HfTokenizerFiles.tokenizerConfig(
                        false, style, TransformersExport.ADDED, style == Style.CONVERTER ? "LlavaProcessor" : null));
        return tok;
    }

    /** A vocabulary-only GGUF: the SentencePiece file's hyper-parameters with the converted tokenizer. */
    private Path vocabGguf(TokenizerExport t, String name) {
        GgufWriter w = new GgufWriter()
                .copyMetadata(GgufReader.read(LlamaCppTree.vocab("llama-spm")), k -> !k.startsWith("tokenizer."));
        t.writeTo(w);
        Path out = dir.resolve(name + ".gguf");
        w.write(out);
        return out;
    }

    /**
     * On llama.cpp's test vectors the converted vocabulary tokenizes, through llama.cpp, as the file's
     * own merges do ({@link ReferenceBpe}). With the converter's file that is exactly the
     * SentencePiece model's tokenization (the {@code .out} ids), also with special tokens and BOS. With
     * transformers 5's LlamaTokenizer file (merges in id order) it differs from SentencePiece only on
     * texts with leading or repeated spaces: the file ranks LLaMA's whitespace pieces, which
     * {@code tokenizer.model} scores -1e9, before all others, and transformers 5 tokenizes those texts
     * differently from SentencePiece too.
     */
    @ParameterizedTest
    @EnumSource(Style.class)
    void vocabularyFromTokenizerJsonAloneOnLlamaCppTestVectors(Style style) throws IOException {
        Path spFile = LlamaCppTree.vocab("llama-spm");
        GgufFile sp = GgufReader.read(spFile);
        TokenizerExport t = TokenizerExport.read(tokenizerJsonOnly(style), null, true);
        assertEquals("llama", t.model());
        assertEquals("default", t.pre());
        assertEquals(Boolean.TRUE, t.addSpacePrefix(), "Prepend('\u2581') / Metaspace(prepend_scheme=first)");
        List<String> expectedTokens = new ArrayList<>(sp.getStringArray("tokenizer.ggml.tokens"));
        expectedTokens.addAll(List.of("<image>", "<pad>"));
        assertEquals(expectedTokens, t.tokens());
        int[] expectedTypes = Arrays.copyOf(sp.getIntArray("tokenizer.ggml.token_type"), 32002);
        for (int id : new int[] {0, 1, 2, 32000, 32001}) {
            expectedTypes[id] = TokenType.CONTROL; // special added tokens, as llama.cpp's converter reads them
        }
        assertArrayEquals(expectedTypes, t.types());
        assertEquals(
                Map.of("bos", 1, "eos", 2, "unk", 0, "pad", 32001), t.special().ids());
        assertEquals(style == Style.LLAMA_TOKENIZER_5, t.warning() != null, "id-ordered merges are reported");

        Path converted = vocabGguf(t, "converted-" + style);
        VocabTestVectors tests = VocabTestVectors.of(spFile);
        List<String> inputs = tests.inputs();
        assertTrue(inputs.size() > 40, "llama.cpp's test vectors");
        Map<String, Object> tj = Json.readObject(dir.resolve("tok-" + style).resolve("tokenizer.json"));
        ReferenceBpe bpe = ReferenceBpe.of(tj);
        try (LanguageModel reference = LanguageModel.load(spFile, ModelOptions.vocabularyOnly());
                LanguageModel lm = LanguageModel.load(converted, ModelOptions.vocabularyOnly())) {
            for (int i = 0; i < inputs.size(); i++) {
                int[] expected = tests.expected().get(i);
                int[] actual = lm.vocabulary().tokenize(inputs.get(i), false, false);
                String what = "test " + i + " '" + inputs.get(i) + "'";
                assertArrayEquals(bpe.tokenize(inputs.get(i)), actual, what + ": the file's merges");
                if (style == Style.CONVERTER) {
                    assertArrayEquals(expected, actual, what + ": SentencePiece");
                } else if (!Arrays.equals(expected, actual)) {
                    // merges in id order rank LLaMA's whitespace pieces (score -1e9 in tokenizer.model) first
                    assertTrue(inputs.get(i).startsWith(" ") || inputs.get(i).contains("  "), what);
                }
            }
            if (style == Style.LLAMA_TOKENIZER_5) {
                return;
            }
            for (String text : List.of(
                    "<s>USER: hi</s>", "   spaces\tand\ttabs  ", "\u2581already escaped\u2581\u2581", "日本語のテキスト 🦙")) {
                assertArrayEquals(
                        reference.vocabulary().tokenize(text, true, true),
                        lm.vocabulary().tokenize(text, true, true),
                        text);
            }
            // <image> is not in the reference vocabulary: the text around it tokenizes as there
            int[] head = reference.vocabulary().tokenize("USER: ", true, true);
            int[] tail = reference.vocabulary().tokenize("\nWhat is this? ASSISTANT:", false, true);
            int[] expected = Arrays.copyOf(head, head.length + 1 + tail.length);
            expected[head.length] = 32000;
            System.arraycopy(tail, 0, expected, head.length + 1, tail.length);
            assertArrayEquals(
                    expected, lm.vocabulary().tokenize("USER: <image>\nWhat is this? ASSISTANT:", true, true));
        }
    }

    /**
     * The derived scores order the pieces that merges build as SentencePiece's scores do (ties
     * aside, which the merges cannot show): with the converter's merges, a piece with a higher
     * SentencePiece score has a higher derived score.
     */
    @Test
    void derivedScoresKeepTheSentencePieceOrderOfMergedPieces() {
        GgufFile sp = GgufReader.read(LlamaCppTree.vocab("llama-spm"));
        TokenizerExport t = TokenizerExport.read(tokenizerJsonOnly(Style.CONVERTER), null, true);
        List<String> pieces = sp.getStringArray("tokenizer.ggml.tokens");
        float[] spScores = sp.getFloatArray("tokenizer.ggml.scores");
        TreeMap<Float, List<Integer>> bySpScore = new TreeMap<>(Comparator.reverseOrder());
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < pieces.size(); i++) {
            ids.put(pieces.get(i), i);
        }
        Set<Integer> merged = new HashSet<>();
        for (String[] m : HfTokenizerFiles.generateMerges(pieces, spScores)) {
            merged.add(ids.get(m[0] + m[1]));
        }
        merged.forEach(id ->
                bySpScore.computeIfAbsent(spScores[id], k -> new ArrayList<>()).add(id));
        float lowestAbove = Float.POSITIVE_INFINITY;
        for (List<Integer> group : bySpScore.values()) {
            float highest = Float.NEGATIVE_INFINITY;
            float lowest = Float.POSITIVE_INFINITY;
            for (int id : group) {
                highest = Math.max(highest, t.scores()[id]);
                lowest = Math.min(lowest, t.scores()[id]);
            }
            assertTrue(highest < lowestAbove, "pieces scored " + spScores[group.get(0)] + " by SentencePiece");
            lowestAbove = lowest;
        }
        assertTrue(merged.size() > pieces.size() / 2, "most pieces are built by merges: " + merged.size());
        assertEquals(0f, t.scores()[ids.get("<0x0A>")], "byte pieces keep SentencePiece's score");
    }

    @Test
    void refusesAByteFallbackBpeThatDoesNotEscapeSpacesLikeSentencePiece() {
        Path tok = tokenizerJsonOnly(Style.LLAMA_TOKENIZER_5);
        Map<String, Object> tj = new LinkedHashMap<>(Json.readObject(tok.resolve("tokenizer.json")));
        tj.put("pre_tokenizer", HfTokenizerFiles.obj("type", "Whitespace"));
        CheckpointExport.json(tok.resolve("tokenizer.json"), tj);
        CheckpointException e = assertThrows(CheckpointException.class, () -> TokenizerExport.read(tok, null, true));
        assertTrue(e.getMessage().contains("Metaspace"), e.getMessage());
    }

    @Test
    void prependSchemeNeverMeansNoSpacePrefix() {
        Path tok = tokenizerJsonOnly(Style.LLAMA_TOKENIZER_5);
        Map<String, Object> tj = new LinkedHashMap<>(Json.readObject(tok.resolve("tokenizer.json")));
        tj.put(
                "pre_tokenizer",
                HfTokenizerFiles.obj(
                        "type", "Metaspace", "replacement", "\u2581", "prepend_scheme", "never", "split", false));
        CheckpointExport.json(tok.resolve("tokenizer.json"), tj);
        assertEquals(Boolean.FALSE, TokenizerExport.read(tok, null, true).addSpacePrefix());
    }
}
