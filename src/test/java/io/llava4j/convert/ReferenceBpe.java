package io.llava4j.convert;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A naive BPE over an HF {@code tokenizer.json}'s vocab and merges, as the tokenizers library's
 * {@code BPE} applies them ({@code Word::merge_all}: always the adjacent pair of lowest merge rank,
 * the leftmost on ties; characters outside the vocabulary as their UTF-8 byte pieces, for
 * {@code byte_fallback}), after llama.cpp's SentencePiece text preparation (a leading space, spaces
 * as {@code ▁}). The reference for what a GGUF converted from the file alone should produce.
 */
final class ReferenceBpe {
    private final Map<String, Integer> vocab = new HashMap<>();
    private final Map<String, Integer> ranks = new HashMap<>();

    private ReferenceBpe() {}

    static ReferenceBpe of(Map<String, Object> tokenizerJson) {
        ReferenceBpe b = new ReferenceBpe();
        Map<String, Object> model = Json.asObject(tokenizerJson.get("model"));
        Json.asObject(model.get("vocab")).forEach((piece, id) -> b.vocab.put(piece, ((Long) id).intValue()));
        List<Object> merges = Json.asList(model.get("merges"));
        for (int r = 0; r < merges.size(); r++) {
            List<Object> pair = Json.asList(merges.get(r));
            b.ranks.putIfAbsent(pair.get(0) + "\0" + pair.get(1), r);
        }
        return b;
    }

    int[] tokenize(String text) {
        if (text.isEmpty()) {
            return new int[0];
        }
        String s = "\u2581" + text.replace(' ', '\u2581');
        List<String> symbols = new ArrayList<>();
        s.codePoints().forEach(cp -> symbols.add(new String(Character.toChars(cp))));
        while (true) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer r = ranks.get(symbols.get(i) + "\0" + symbols.get(i + 1));
                if (r != null && r < bestRank) {
                    best = i;
                    bestRank = r;
                }
            }
            if (best < 0) {
                break;
            }
            symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
        }
        List<Integer> ids = new ArrayList<>();
        for (String sym : symbols) {
            Integer id = vocab.get(sym);
            if (id != null) {
                ids.add(id);
                continue;
            }
            for (byte b : sym.getBytes(StandardCharsets.UTF_8)) {
                ids.add(vocab.get(String.format(java.util.Locale.ROOT, "<0x%02X>", b & 0xff)));
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }
}
