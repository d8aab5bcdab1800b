package io.llava4j.convert;

import io.llava4j.gguf.GgufFile;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tokenizer files transformers writes for a LLaMA SentencePiece tokenizer (here the pieces of a
 * llama.cpp vocabulary GGUF plus added tokens), for tests that must not need Python. Checked against
 * what transformers 4.57.6 and 5.18.0 wrote ({@code src/test/resources/transformers/},
 * {@link ConvertTransformersFixturesTest}).
 *
 * <ul>
 *   <li>{@link Style#CONVERTER}: {@code tokenizer.json} as {@code LlamaConverter} (convert_slow_tokenizer.py,
 *       transformers 4, legacy) builds it from {@code tokenizer.model}: BPE with byte fallback, merges
 *       from {@link #generateMerges} ordered by piece score, normalizer {@code Prepend("▁")} +
 *       {@code Replace(" ", "▁")}, BOS template. transformers 5 re-saves such a file unchanged for
 *       {@code llava}/{@code llava_next} checkpoints, which it loads with {@code TokenizersBackend}.
 *   <li>{@link Style#LLAMA_TOKENIZER_5}: what transformers 5's own {@code LlamaTokenizer}
 *       (tokenization_llama.py) writes when made from {@code tokenizer.model}: merges ordered by id,
 *       no normalizer, a {@code Metaspace(prepend_scheme="first")} pre-tokenizer, no BOS template,
 *       {@code unk_token} null.
 * </ul>
 */
final class HfTokenizerFiles {
    private HfTokenizerFiles() {}

    /** The {@code tokenizer.json} flavours. */
    enum Style {
        CONVERTER,
        LLAMA_TOKENIZER_5
    }

    /** transformers' {@code model_max_length} when nothing sets it: {@code int(1e30)}. */
    static final BigInteger VERY_LARGE = new BigInteger("1000000000000000019884624838656");

    /**
     * {@code generate_merges(vocab, vocab_scores)}: every split of a piece into two pieces, each
     * piece's splits by the ids of their halves, then all sorted by (score, length of left, length of
     * right), descending when scores are given (transformers 4: {@code LlamaConverter} passes the
     * SentencePiece scores), else ascending with the id as score (transformers 5's
     * {@code SentencePieceExtractor}). Python's sort is stable, and so is {@link List#sort}; lengths
     * count code points, as Python's {@code len} does.
     *
     * @param scores the piece scores, or null to order by id
     */
    static List<String[]> generateMerges(List<String> pieces, float[] scores) {
        Map<String, Integer> vocab = new HashMap<>();
        for (int i = 0; i < pieces.size(); i++) {
            vocab.put(pieces.get(i), i);
        }
        record Merge(String left, String right, double key, int leftLength, int rightLength) {}
        List<Merge> merges = new ArrayList<>();
        for (int id = 0; id < pieces.size(); id++) {
            String piece = pieces.get(id);
            List<Merge> local = new ArrayList<>();
            int n = piece.codePointCount(0, piece.length());
            for (int index = 1; index < n; index++) {
                int cut = piece.offsetByCodePoints(0, index);
                String l = piece.substring(0, cut);
                String r = piece.substring(cut);
                if (vocab.containsKey(l) && vocab.containsKey(r)) {
                    local.add(new Merge(l, r, scores != null ? scores[id] : id, index, n - index));
                }
            }
            local.sort(
                    Comparator.comparingInt((Merge m) -> vocab.get(m.left)).thenComparingInt(m -> vocab.get(m.right)));
            merges.addAll(local);
        }
        Comparator<Merge> key = Comparator.comparingDouble(Merge::key)
                .thenComparingInt(Merge::leftLength)
                .thenComparingInt(Merge::rightLength);
        merges.sort(scores != null ? key.reversed() : key);
        return merges.stream().map(m -> new String[] {m.left, m.right}).toList();
    }

    /**
     * The {@code tokenizer.json} of the SentencePiece vocabulary in {@code spVocab} (its
     * {@code tokenizer.ggml.*} pieces and scores) with {@code added} tokens (id to text, all special).
     */
    static Map<String, Object> tokenizerJson(GgufFile spVocab, Style style, Map<Integer, String> added) {
        List<String> pieces = spVocab.getStringArray("tokenizer.ggml.tokens");
        float[] scores = spVocab.getFloatArray("tokenizer.ggml.scores");
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int i = 0; i < pieces.size(); i++) {
            vocab.put(pieces.get(i), (long) i);
        }
        List<Object> merges = new ArrayList<>();
        for (String[] m : generateMerges(pieces, style == Style.CONVERTER ? scores : null)) {
            merges.add(List.of(m[0], m[1]));
        }
        List<Object> addedTokens = new ArrayList<>();
        Map<Integer, String> all = new LinkedHashMap<>(Map.of(0, "<unk>", 1, "<s>", 2, "</s>"));
        all.putAll(added);
        all.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> addedTokens.add(obj(
                        "id",
                        (long) e.getKey(),
                        "content",
                        e.getValue(),
                        "single_word",
                        false,
                        "lstrip",
                        false,
                        "rstrip",
                        false,
                        "normalized",
                        false,
                        "special",
                        true)));
        boolean converter = style == Style.CONVERTER;
        List<Object> decoders = new ArrayList<>(List.of(
                obj("type", "Replace", "pattern", obj("String", "\u2581"), "content", " "),
                obj("type", "ByteFallback"),
                obj("type", "Fuse"),
                obj("type", "Strip", "content", " ", "start", 1L, "stop", 0L)));
        Object postProcessor = converter
                ? obj(
                        "type",
                        "TemplateProcessing",
                        "single",
                        List.of(special("<s>", 0), sequence("A", 0)),
                        "pair",
                        List.of(special("<s>", 0), sequence("A", 0), special("<s>", 1), sequence("B", 1)),
                        "special_tokens",
                        obj("<s>", obj("id", "<s>", "ids", List.of(1L), "tokens", List.of("<s>"))))
                : obj(
                        "type",
                        "TemplateProcessing",
                        "single",
                        List.of(sequence("A", 0)),
                        "pair",
                        List.of(sequence("A", 0), sequence("B", 1)),
                        "special_tokens",
                        obj());
        return obj(
                "version",
                "1.0",
                "truncation",
                null,
                "padding",
                null,
                "added_tokens",
                addedTokens,
                "normalizer",
                converter
                        ? obj(
                                "type",
                                "Sequence",
                                "normalizers",
                                List.of(
                                        obj("type", "Prepend", "prepend", "\u2581"),
                                        obj("type", "Replace", "pattern", obj("String", " "), "content", "\u2581")))
                        : null,
                "pre_tokenizer",
                converter
                        ? null
                        : obj("type", "Metaspace", "replacement", "\u2581", "prepend_scheme", "first", "split", false),
                "post_processor",
                postProcessor,
                "decoder",
                obj("type", "Sequence", "decoders", decoders),
                "model",
                obj(
                        "type",
                        "BPE",
                        "dropout",
                        null,
                        "unk_token",
                        converter ? "<unk>" : null,
                        "continuing_subword_prefix",
                        null,
                        "end_of_word_suffix",
                        null,
                        "fuse_unk",
                        true,
                        "byte_fallback",
                        true,
                        "ignore_merges",
                        false,
                        "vocab",
                        vocab,
                        "merges",
                        merges));
    }

    private static Map<String, Object> special(String id, long typeId) {
        return obj("SpecialToken", obj("id", id, "type_id", typeId));
    }

    private static Map<String, Object> sequence(String id, long typeId) {
        return obj("Sequence", obj("id", id, "type_id", typeId));
    }

    /**
     * {@code tokenizer_config.json}: transformers 4's {@code LlamaTokenizerFast} (with
     * {@code added_tokens_decoder}), transformers 5's {@code TokenizersBackend} as it re-saves a
     * llava checkpoint, or transformers 5's {@code LlamaTokenizer} ({@code processorClass} null: no
     * processor saved it).
     */
    static Map<String, Object> tokenizerConfig(
            boolean v4, Style style, Map<Integer, String> added, String processorClass) {
        Map<String, Object> c = new LinkedHashMap<>();
        if (v4) {
            c.put("add_bos_token", true);
            c.put("add_eos_token", false);
        }
        c.put("add_prefix_space", null);
        if (v4) {
            Map<String, Object> decoder = new LinkedHashMap<>();
            Map<Integer, String> all = new LinkedHashMap<>(Map.of(0, "<unk>", 1, "<s>", 2, "</s>"));
            all.putAll(added);
            all.entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .forEach(e -> decoder.put(
                            String.valueOf(e.getKey()),
                            obj(
                                    "content",
                                    e.getValue(),
                                    "lstrip",
                                    false,
                                    "normalized",
                                    false,
                                    "rstrip",
                                    false,
                                    "single_word",
                                    false,
                                    "special",
                                    true)));
            c.put("added_tokens_decoder", decoder);
        } else {
            c.put("backend", "tokenizers");
        }
        c.put("bos_token", "<s>");
        c.put("clean_up_tokenization_spaces", false);
        c.put("eos_token", "</s>");
        if (v4) {
            c.put("extra_special_tokens", obj());
        } else if (style == Style.LLAMA_TOKENIZER_5) {
            c.put("extra_special_tokens", List.of("<s>", "</s>"));
        }
        if (!v4) {
            c.put("is_local", true);
        }
        if (style == Style.CONVERTER) {
            c.put("legacy", true);
        }
        if (!v4) {
            c.put("local_files_only", false);
        }
        c.put("model_max_length", VERY_LARGE);
        c.put("pad_token", "<pad>");
        if (processorClass != null) {
            c.put("processor_class", processorClass);
        }
        if (style == Style.CONVERTER) {
            c.put("sp_model_kwargs", obj());
            c.put("spaces_between_special_tokens", false);
        }
        c.put("tokenizer_class", v4 || style == Style.LLAMA_TOKENIZER_5 ? "LlamaTokenizer" : "TokenizersBackend");
        c.put("unk_token", "<unk>");
        c.put("use_default_system_prompt", false);
        return c;
    }

    /** transformers 4's {@code special_tokens_map.json}. */
    static Map<String, Object> specialTokensMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String[] t : new String[][] {
            {"bos_token", "<s>"}, {"eos_token", "</s>"}, {"pad_token", "<pad>"}, {"unk_token", "<unk>"}
        }) {
            m.put(
                    t[0],
                    obj("content", t[1], "lstrip", false, "normalized", false, "rstrip", false, "single_word", false));
        }
        return m;
    }

    /** transformers 4's {@code added_tokens.json}: the added tokens beyond the SentencePiece model. */
    static Map<String, Object> addedTokensJson(Map<Integer, String> added) {
        Map<String, Object> m = new LinkedHashMap<>();
        added.forEach((id, text) -> m.put(text, (long) id));
        return m;
    }

    /**
     * SHA-256 of a tokenizer.json's vocab ({@code piece<TAB>id} lines by id) and merges
     * ({@code left right} lines), as make_transformers_fixtures.py computes them for
     * {@code tokenizer.digest.json}.
     */
    static Map<String, Object> digest(Map<String, Object> tokenizerJson) {
        Map<String, Object> model = Json.asObject(tokenizerJson.get("model"));
        StringBuilder v = new StringBuilder();
        Json.asObject(model.get("vocab")).entrySet().stream()
                .sorted(Comparator.comparingLong(e -> (Long) e.getValue()))
                .forEach(e ->
                        v.append(e.getKey()).append('\t').append(e.getValue()).append('\n'));
        StringBuilder m = new StringBuilder();
        List<Object> merges = Json.asList(model.get("merges"));
        for (Object o : merges) {
            m.append(o instanceof List<?> l ? l.get(0) + " " + l.get(1) : o).append('\n');
        }
        return obj(
                "merges",
                (long) merges.size(),
                "merges_sha256",
                sha256(m),
                "vocab",
                (long) Json.asObject(model.get("vocab")).size(),
                "vocab_sha256",
                sha256(v));
    }

    private static String sha256(CharSequence s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256")
                            .digest(s.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes the tokenizer files a LLaVA processor save of transformers 4.57 ({@code v4}) or 5.18 puts
     * into {@code dir}: for both the converter-made {@code tokenizer.json} (5.x re-saves it as loaded)
     * and {@code tokenizer_config.json}; for 4.x also {@code tokenizer.model},
     * {@code special_tokens_map.json} and {@code added_tokens.json}.
     */
    static void write(Path dir, boolean v4, GgufFile spVocab, Map<Integer, String> added, String processorClass) {
        Map<String, Object> tj = tokenizerJson(spVocab, Style.CONVERTER, added);
        CheckpointExport.json(dir.resolve("tokenizer.json"), tj);
        CheckpointExport.json(
                dir.resolve("tokenizer_config.json"), tokenizerConfig(v4, Style.CONVERTER, added, processorClass));
        if (v4) {
            VocabFiles.sentencePiece(spVocab, dir.resolve("tokenizer.model"));
            CheckpointExport.json(dir.resolve("special_tokens_map.json"), specialTokensMap());
            CheckpointExport.json(dir.resolve("added_tokens.json"), addedTokensJson(added));
        }
    }

    /** An insertion-ordered map of alternating keys and values (values may be null). */
    static Map<String, Object> obj(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
