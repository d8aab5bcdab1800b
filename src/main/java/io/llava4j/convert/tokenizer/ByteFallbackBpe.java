package io.llava4j.convert.tokenizer;

import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The SentencePiece vocabulary ({@code tokenizer.ggml.model = llama}) of an HF {@code tokenizer.json}
 * alone, for LLaMA-family tokenizers saved without their {@code tokenizer.model} (transformers 5
 * writes only {@code tokenizer.json} and {@code tokenizer_config.json}).
 *
 * <p>Such a file holds what {@code LlamaConverter} (convert_slow_tokenizer.py) made of the
 * SentencePiece model: a BPE model with {@code byte_fallback}, the pieces as its vocab (same ids),
 * and merges generated from the pieces by {@code generate_merges}: every split of a piece into two
 * pieces, ordered by the piece's score (transformers 4) or id (transformers 5, which no longer reads
 * the scores). The scores themselves are gone. llama.cpp's SentencePiece tokenizer
 * ({@code llm_tokenizer_spm}) repeatedly merges the adjacent pair whose joined text is the vocabulary
 * entry with the highest score; HF's BPE repeatedly applies the merge of lowest rank. So a score
 * that falls with the rank of the first merge that builds a piece makes the two pick the same merges
 * in the same order: {@code score = -rank}. Pieces no merge builds (single characters) are never
 * the result of a merge and get {@code -merges}, below all others; byte pieces {@code <0xXX>} and the
 * unknown piece keep SentencePiece's 0.
 *
 * <p>llama.cpp's own converter ({@code LlamaHfVocab} in gguf-py/gguf/vocab.py) gives every token the
 * score -1000, which leaves the SentencePiece tokenizer only its left-to-right tie break and
 * tokenizes differently from the model; it also needs the {@code transformers} package. Token types
 * follow it: {@code <0xXX>} pieces are BYTE, the unknown piece UNKNOWN, added tokens as in
 * {@code _create_vocab_sentencepiece}'s {@code added_tokens_decoder} reading (CONTROL if special or
 * special-looking, else USER_DEFINED with {@code ▁} turned back into spaces, score -1000), ids nothing
 * names {@code [PAD<id>]} (UNUSED, -10000).
 *
 * <p>Whitespace: SentencePiece's escaping of spaces to {@code ▁} appears as a
 * {@code Replace(" ", "▁")} normalizer (transformers 4, legacy) or a {@code Metaspace} pre-tokenizer
 * (transformers 5); the dummy prefix as {@code Prepend("▁")} or {@code Metaspace.prepend_scheme}
 * {@code always}/{@code first} ({@code never}: none), which gives {@code tokenizer.ggml.add_space_prefix}
 * unless {@code tokenizer_config.json} says {@code add_prefix_space}. Anything else is refused.
 */
final class ByteFallbackBpe {
    private static final Pattern BYTE_PIECE = Pattern.compile("<0x[0-9A-Fa-f]{2}>");
    private static final String SPACE = "\u2581";

    private ByteFallbackBpe() {}

    /** Whether {@code tokenizerJson}'s model is a BPE with {@code byte_fallback}. */
    static boolean applies(Map<String, Object> tokenizerJson) {
        return tokenizerJson.get("model") instanceof Map<?, ?> m
                && "BPE".equals(m.get("type"))
                && Boolean.TRUE.equals(m.get("byte_fallback"));
    }

    /**
     * Builds the vocabulary.
     *
     * @param dir the tokenizer folder (for {@link SpecialVocab})
     * @param file the {@code tokenizer.json}, parsed in {@code tj}
     * @param vocabSize the model's embedding rows, or null for the tokenizer's own size
     * @param tc {@code tokenizer_config.json}, or an empty map
     * @param addPrefix {@code tokenizer_config.json}'s {@code add_prefix_space}, or null
     * @throws CheckpointException if the file is not a SentencePiece-style byte-fallback BPE
     */
    static TokenizerExport read(
            Path dir, Path file, Map<String, Object> tj, Integer vocabSize, Map<String, Object> tc, Boolean addPrefix) {
        Map<String, Object> model = Json.asObject(tj.get("model"));
        if (!(model.get("vocab") instanceof Map<?, ?> vocabMap)) {
            throw new CheckpointException(file, "model.vocab is not a piece-to-id map");
        }
        Map<String, Integer> vocab = new HashMap<>();
        int maxId = -1;
        for (Map.Entry<?, ?> e : vocabMap.entrySet()) {
            if (!(e.getValue() instanceof Long id) || id < 0 || id > Integer.MAX_VALUE) {
                throw new CheckpointException(file, "model.vocab entry " + e.getKey() + " has id " + e.getValue());
            }
            vocab.put(String.valueOf(e.getKey()), id.intValue());
            maxId = Math.max(maxId, id.intValue());
        }
        List<Map<?, ?>> added = new ArrayList<>();
        if (tj.get("added_tokens") instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof Map<?, ?> a && a.get("id") instanceof Long id && a.get("content") instanceof String) {
                    added.add(a);
                    maxId = Math.max(maxId, id.intValue());
                }
            }
        }
        int n = vocabSize != null ? vocabSize : maxId + 1;
        if (maxId >= n) {
            throw new CheckpointException(file, "token id " + maxId + " is not below the vocabulary size " + n);
        }
        boolean prefix = spaceHandling(tj, file);
        List<String> tokens = new ArrayList<>(n);
        float[] scores = new float[n];
        int[] types = new int[n];
        TokenizerExport.placeholders(tokens, scores, types);
        String unk =
                model.get("unk_token") instanceof String s ? s : tc.get("unk_token") instanceof String s ? s : null;
        List<String[]> merges = merges(model.get("merges"), file);
        Map<String, Integer> firstRank = new HashMap<>();
        for (int r = 0; r < merges.size(); r++) {
            firstRank.putIfAbsent(merges.get(r)[0] + merges.get(r)[1], r);
        }
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            int id = e.getValue();
            tokens.set(id, e.getKey());
            if (BYTE_PIECE.matcher(e.getKey()).matches() || e.getKey().equals(unk)) {
                types[id] = BYTE_PIECE.matcher(e.getKey()).matches() ? TokenType.BYTE : TokenType.UNKNOWN;
                scores[id] = 0f;
            } else {
                types[id] = TokenType.NORMAL;
                Integer rank = firstRank.get(e.getKey());
                scores[id] = -(float) (rank != null ? rank : merges.size());
            }
        }
        for (Map<?, ?> a : added) {
            TokenizerExport.addedToken(
                    tokens,
                    scores,
                    types,
                    ((Long) a.get("id")).intValue(),
                    (String) a.get("content"),
                    Boolean.TRUE.equals(a.get("special")));
        }
        SpecialVocab special = SpecialVocab.load(dir, false, n);
        String warning = inIdOrder(merges, vocab)
                ? file + ": the merges are in piece-id order, as transformers 5's"
                        + " LlamaTokenizer writes them from a tokenizer.model, so the SentencePiece scores are lost; the GGUF"
                        + " ranks pieces as the file does, which for LLaMA differs from its SentencePiece model on runs of"
                        + " spaces. Put the model's tokenizer.model next to tokenizer.json to use its scores"
                : null;
        return new TokenizerExport(
                "llama", "default", tokens, scores, types, special, addPrefix != null ? addPrefix : prefix, warning);
    }

    /**
     * Whether the merges are sorted by (id of the piece they build, lengths of the halves), the order
     * of transformers 5's {@code generate_merges} without scores: then they say nothing of the
     * SentencePiece scores.
     */
    private static boolean inIdOrder(List<String[]> merges, Map<String, Integer> vocab) {
        long previous = Long.MIN_VALUE;
        for (String[] m : merges) {
            Integer id = vocab.get(m[0] + m[1]);
            long key = id == null
                    ? Long.MAX_VALUE
                    : ((long) id << 32)
                            | ((long) m[0].codePointCount(0, m[0].length()) << 16)
                            | m[1].codePointCount(0, m[1].length());
            if (key < previous) {
                return false;
            }
            previous = key;
        }
        return !merges.isEmpty();
    }

    /** Merges as {@code "a b"} strings (tokenizers before 0.20) or {@code [a, b]} pairs. */
    private static List<String[]> merges(Object v, Path file) {
        List<String[]> out = new ArrayList<>();
        if (!(v instanceof List<?> l)) {
            throw new CheckpointException(file, "model.merges is missing");
        }
        for (Object o : l) {
            if (o instanceof String s && s.indexOf(' ') > 0 && s.indexOf(' ') == s.lastIndexOf(' ')) {
                out.add(new String[] {s.substring(0, s.indexOf(' ')), s.substring(s.indexOf(' ') + 1)});
            } else if (o instanceof List<?> pair
                    && pair.size() == 2
                    && pair.get(0) instanceof String a
                    && pair.get(1) instanceof String b) {
                out.add(new String[] {a, b});
            } else {
                throw new CheckpointException(file, "model.merges entry " + o + " is not a pair of pieces");
            }
        }
        return out;
    }

    /**
     * Checks that spaces become {@code ▁} as SentencePiece does and returns whether a dummy prefix
     * is added.
     */
    private static boolean spaceHandling(Map<String, Object> tj, Path file) {
        boolean replace = false;
        boolean prepend = false;
        for (Object step : steps(tj.get("normalizer"), "normalizers")) {
            Map<?, ?> m = (Map<?, ?>) step;
            if ("Prepend".equals(m.get("type")) && SPACE.equals(m.get("prepend"))) {
                prepend = true;
            } else if ("Replace".equals(m.get("type"))
                    && m.get("pattern") instanceof Map<?, ?> p
                    && " ".equals(p.get("String"))
                    && SPACE.equals(m.get("content"))) {
                replace = true;
            } else {
                throw refused(file, "normalizer step " + m.get("type"));
            }
        }
        for (Object step : steps(tj.get("pre_tokenizer"), "pretokenizers")) {
            Map<?, ?> m = (Map<?, ?>) step;
            if (!"Metaspace".equals(m.get("type"))
                    || !SPACE.equals(m.get("replacement"))
                    || Boolean.TRUE.equals(m.get("split"))) {
                throw refused(file, "pre-tokenizer " + m);
            }
            replace = true;
            Object scheme = m.get("prepend_scheme");
            prepend = scheme != null ? !"never".equals(scheme) : !Boolean.FALSE.equals(m.get("add_prefix_space"));
        }
        if (!replace) {
            throw refused(file, "spaces are not replaced by \u2581");
        }
        return prepend;
    }

    private static List<Object> steps(Object v, String listKey) {
        if (!(v instanceof Map<?, ?> m)) {
            return List.of();
        }
        if ("Sequence".equals(m.get("type")) && m.get(listKey) instanceof List<?> l) {
            return Json.asList(l).stream().filter(o -> o instanceof Map<?, ?>).toList();
        }
        return List.of(v);
    }

    private static CheckpointException refused(Path file, String what) {
        return new CheckpointException(
                file,
                "byte-fallback BPE tokenizer not recognized as SentencePiece-style (" + what
                        + "); expected a Replace(' ', '\u2581') normalizer (with Prepend('\u2581')) or a Metaspace pre-tokenizer,"
                        + " as transformers' LlamaConverter / LlamaTokenizer write them");
    }
}
