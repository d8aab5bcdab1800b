package io.llava4j.convert.tokenizer;

import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.Json;
import io.llava4j.gguf.GgufWriter;
import io.llava4j.gguf.LlmKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The GGUF tokenizer metadata ({@code tokenizer.*}) of a checkpoint's tokenizer files, built as
 * llama.cpp's converter builds it for LLaMA- and Qwen2-family models ({@code LlamaModel.set_vocab},
 * {@code Qwen2Model.set_vocab} and {@code TextModel._create_vocab_sentencepiece} /
 * {@code get_vocab_base} / {@code _set_vocab_gpt2} in convert_hf_to_gguf):
 *
 * <ul>
 *   <li>a SentencePiece {@code tokenizer.model} (PaddleNLP: {@code sentencepiece.bpe.model}) gives
 *       {@code model = llama}, {@code pre = default}, tokens, scores and types; then
 *       {@code added_tokens.json}, {@code tokenizer.json}'s {@code added_tokens} (the only place
 *       transformers 5 keeps them; an extension of llama.cpp's sources) and
 *       {@code tokenizer_config.json}'s {@code added_tokens_decoder} override entries (score
 *       -1000, CONTROL if special or special-looking, else USER_DEFINED); ids up to the model's
 *       {@code vocab_size} that nothing names become {@code [PAD<id>]} (score -10000, UNUSED);
 *   <li>else an HF {@code tokenizer.json} BPE model with {@code byte_fallback} (a SentencePiece
 *       model converted by transformers, saved without {@code tokenizer.model}) gives the same
 *       {@code llama} vocabulary, scores derived from the merges ({@link ByteFallbackBpe});
 *   <li>else an HF {@code tokenizer.json} byte-level BPE model gives {@code model = gpt2}, the
 *       pre-tokenizer name ({@link BpePreTokenizer}), tokens, types and merges;
 *   <li>then {@link SpecialVocab}: special ids, add-BOS/EOS flags, chat template.
 * </ul>
 *
 * One deviation: for added tokens marked {@code normalized: false}, HF's converter replaces the
 * text by {@code decode(encode(text))}; that needs the HF tokenizer itself and is the identity for
 * the special tokens of the supported families, so the text is kept as is.
 *
 * @param model {@code tokenizer.ggml.model}
 * @param pre {@code tokenizer.ggml.pre}
 * @param tokens token texts by id
 * @param scores scores by id ({@code null} for BPE)
 * @param types {@link TokenType} numbers by id
 * @param special special ids, flags, merges, template
 * @param addSpacePrefix {@code tokenizer_config.json}'s {@code add_prefix_space} (LLaMA family only), else
 *     for a {@code tokenizer.json}-only SentencePiece vocabulary what its normalizer or pre-tokenizer
 *     does, else null
 * @param warning what the user should know about this vocabulary (one line), or null
 */
public record TokenizerExport(
        String model,
        String pre,
        List<String> tokens,
        float[] scores,
        int[] types,
        SpecialVocab special,
        Boolean addSpacePrefix,
        String warning) {

    /**
     * Reads the tokenizer in {@code dir}.
     *
     * @param vocabSize the language model's {@code vocab_size} (embedding rows), or null to use the
     *     tokenizer's own size
     * @param llamaFamily apply {@code LlamaModel.set_vocab}'s extra ({@code add_prefix_space})
     * @throws CheckpointException if there is no usable tokenizer
     */
    public static TokenizerExport read(Path dir, Integer vocabSize, boolean llamaFamily) {
        Boolean addPrefix = null;
        Path tcFile = dir.resolve("tokenizer_config.json");
        Map<String, Object> tc = Files.isRegularFile(tcFile) ? Json.readObject(tcFile) : Map.of();
        if (llamaFamily && tc.get("add_prefix_space") instanceof Boolean b) {
            addPrefix = b;
        }
        Path spm = dir.resolve("tokenizer.model");
        if (!Files.isRegularFile(spm)) {
            spm = dir.resolve("sentencepiece.bpe.model"); // PaddleNLP's name for the same file
        }
        if (Files.isRegularFile(spm)) {
            return sentencePiece(dir, spm, vocabSize, tc, addPrefix);
        }
        Path json = dir.resolve("tokenizer.json");
        if (Files.isRegularFile(json)) {
            Map<String, Object> tj = Json.readObject(json);
            return ByteFallbackBpe.applies(tj)
                    ? ByteFallbackBpe.read(dir, json, tj, vocabSize, tc, addPrefix)
                    : bpe(dir, json, tj, vocabSize, addPrefix);
        }
        throw new CheckpointException(
                dir,
                "no tokenizer: expected tokenizer.model or sentencepiece.bpe.model"
                        + " (SentencePiece) or tokenizer.json (BPE)");
    }

    /**
     * Makes every id of the (empty) tables an unused placeholder, {@code [PAD<id>]} with score
     * -10000, as llama.cpp's converter does for the ids a tokenizer file leaves out; the caller then
     * sets the ids the file has. {@code scores} and {@code types} give the vocabulary size.
     */
    static void placeholders(List<String> tokens, float[] scores, int[] types) {
        for (int i = 0; i < types.length; i++) {
            tokens.add("[PAD" + i + "]");
            scores[i] = -10000f;
            types[i] = TokenType.UNUSED;
        }
    }

    private static TokenizerExport sentencePiece(
            Path dir, Path file, Integer vocabSize, Map<String, Object> tc, Boolean addPrefix) {
        SentencePieceModel sp = SentencePieceModel.read(file);
        int n = vocabSize != null ? vocabSize : sp.pieces().size();
        List<String> tokens = new ArrayList<>(n);
        float[] scores = new float[n];
        int[] types = new int[n];
        placeholders(tokens, scores, types);
        for (int id = 0; id < Math.min(n, sp.pieces().size()); id++) {
            SentencePieceModel.Piece p = sp.pieces().get(id);
            tokens.set(id, p.text());
            scores[id] = p.score();
            // SentencePieceProcessor's IsUnknown/IsControl/IsUnused/IsByte; USER_DEFINED pieces count as NORMAL there
            types[id] = switch (p.type()) {
                case TokenType.UNKNOWN, TokenType.CONTROL, TokenType.UNUSED, TokenType.BYTE -> p.type();
                default -> TokenType.NORMAL;
            };
        }
        Path addedFile = dir.resolve("added_tokens.json");
        if (Files.isRegularFile(addedFile)) {
            for (Map.Entry<String, Object> e : Json.readObject(addedFile).entrySet()) {
                if (e.getValue() instanceof Long id && id >= 0 && id < n) {
                    tokens.set((int) (long) id, e.getKey());
                    scores[(int) (long) id] = -1000f;
                    types[(int) (long) id] = TokenType.USER_DEFINED;
                }
            }
        }
        // transformers 5 keeps added tokens only in tokenizer.json (its tokenizer_config.json has no
        // added_tokens_decoder and there is no added_tokens.json): read them there too, by the same rule
        Path json = dir.resolve("tokenizer.json");
        if (Files.isRegularFile(json) && Json.readObject(json).get("added_tokens") instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof Map<?, ?> a
                        && a.get("id") instanceof Long id
                        && a.get("content") instanceof String c) {
                    addedToken(tokens, scores, types, id.intValue(), c, Boolean.TRUE.equals(a.get("special")));
                }
            }
        }
        if (tc.get("added_tokens_decoder") instanceof Map<?, ?> decoder) {
            for (Map.Entry<?, ?> e : decoder.entrySet()) {
                int id;
                try {
                    id = Integer.parseInt(String.valueOf(e.getKey()));
                } catch (NumberFormatException ex) {
                    throw new CheckpointException(
                            dir.resolve("tokenizer_config.json"),
                            "added_tokens_decoder key " + e.getKey() + " is not a token id");
                }
                if (e.getValue() instanceof Map<?, ?> data && data.get("content") instanceof String content) {
                    addedToken(tokens, scores, types, id, content, Boolean.TRUE.equals(data.get("special")));
                }
            }
        }
        SpecialVocab special = SpecialVocab.load(dir, false, n);
        return new TokenizerExport("llama", "default", tokens, scores, types, special, addPrefix, null);
    }

    private static TokenizerExport bpe(
            Path dir, Path file, Map<String, Object> tj, Integer vocabSize, Boolean addPrefix) {
        if (!(tj.get("model") instanceof Map<?, ?> m)
                || !"BPE".equals(m.get("type"))
                || !(m.get("vocab") instanceof Map<?, ?> vocabMap)) {
            throw new CheckpointException(file, "not a BPE tokenizer (model.type must be BPE with a vocab)");
        }
        String pre = BpePreTokenizer.identify(tj, file);
        Map<Integer, String> byId = new HashMap<>();
        for (Map.Entry<?, ?> e : vocabMap.entrySet()) {
            if (!(e.getValue() instanceof Long id) || id < 0 || id > Integer.MAX_VALUE) {
                throw new CheckpointException(file, "model.vocab entry " + e.getKey() + " has id " + e.getValue());
            }
            byId.put(id.intValue(), String.valueOf(e.getKey()));
        }
        Map<Integer, Map<?, ?>> added = new HashMap<>();
        if (tj.get("added_tokens") instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof Map<?, ?> a
                        && a.get("id") instanceof Long id
                        && a.get("content") instanceof String c) {
                    byId.put(id.intValue(), c);
                    added.put(id.intValue(), a);
                }
            }
        }
        int maxId = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        int n = vocabSize != null ? vocabSize : byId.size();
        if (maxId >= n) {
            throw new CheckpointException(file, "token id " + maxId + " is not below the vocabulary size " + n);
        }
        List<String> tokens = new ArrayList<>(n);
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            String t = byId.get(i);
            if (t == null) {
                tokens.add("[PAD" + i + "]");
                types[i] = TokenType.UNUSED;
                continue;
            }
            Map<?, ?> a = added.get(i);
            if (a != null) {
                if (Boolean.TRUE.equals(a.get("special")) || looksSpecial(t)) {
                    types[i] = TokenType.CONTROL;
                } else {
                    t = t.replace('\u2581', ' ');
                    types[i] = TokenType.USER_DEFINED;
                }
            } else {
                types[i] = TokenType.NORMAL;
            }
            tokens.add(t);
        }
        SpecialVocab special = SpecialVocab.load(dir, true, null);
        if (special.merges().isEmpty()) {
            throw new CheckpointException(file, "a BPE tokenizer without merges");
        }
        return new TokenizerExport("gpt2", pre, tokens, null, types, special, addPrefix, null);
    }

    /**
     * Puts an added token at {@code id} as {@code _create_vocab_sentencepiece} reads an
     * {@code added_tokens_decoder} entry: score -1000, CONTROL if special or special-looking, else
     * USER_DEFINED with {@code ▁} pre-normalized to spaces. Ids outside the vocabulary are skipped
     * (the Python code logs and skips them).
     */
    static void addedToken(List<String> tokens, float[] scores, int[] types, int id, String content, boolean special) {
        if (id < 0 || id >= tokens.size()) {
            return;
        }
        String text = content;
        if (special || looksSpecial(text)) {
            types[id] = TokenType.CONTROL;
        } else {
            text = text.replace('\u2581', ' ');
            types[id] = TokenType.USER_DEFINED;
        }
        scores[id] = -1000f;
        tokens.set(id, text);
    }

    /** {@code TextModel.does_token_look_special}. */
    static boolean looksSpecial(String t) {
        return t.equals("<pad>")
                || t.equals("<mask>")
                || t.equals("<2mass>")
                || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>"))
                || (t.startsWith("<\uff5c") && t.endsWith("\uff5c>"))
                || (t.startsWith("<unused") && t.endsWith(">"));
    }

    /** Writes the {@code tokenizer.*} keys in the converter's order. */
    public void writeTo(GgufWriter w) {
        if (addSpacePrefix != null) {
            w.putBool(LlmKeys.TOKENIZER_ADD_SPACE_PREFIX, addSpacePrefix);
        }
        w.putString(LlmKeys.TOKENIZER_MODEL, model);
        w.putString(LlmKeys.TOKENIZER_PRE, pre);
        w.putStringArray(LlmKeys.TOKENIZER_TOKENS, tokens);
        if (scores != null) {
            w.putF32Array(LlmKeys.TOKENIZER_SCORES, scores);
        }
        w.putI32Array(LlmKeys.TOKENIZER_TOKEN_TYPE, types);
        special.writeTo(w);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenizerExport t
                && model.equals(t.model)
                && pre.equals(t.pre)
                && tokens.equals(t.tokens)
                && Arrays.equals(scores, t.scores)
                && Arrays.equals(types, t.types);
    }

    @Override
    public int hashCode() {
        return tokens.hashCode();
    }

    @Override
    public String toString() {
        return "TokenizerExport[" + model + "/" + pre + ", " + tokens.size() + " tokens]";
    }
}
