package io.llava4j.convert.tokenizer;

import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.Json;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Names the BPE pre-tokenizer of an HF {@code tokenizer.json} for {@code tokenizer.ggml.pre}.
 *
 * <p>llama.cpp's converter ({@code get_vocab_base_pre} in convert_hf_to_gguf.py) tokenizes a check
 * string with the HF {@code tokenizers} library and looks the SHA-256 of the ids up in a table;
 * without Python we identify the families llava4j needs from the tokenizer's own configuration
 * instead: its normalizer and its pre-tokenizer's split regex, which is what those hashes tell
 * apart (the byte-level BPE and the merges are the same machinery for all of them). The regexes
 * are the ones llama.cpp's {@code llama-vocab.cpp} quotes as "original regex from tokenizer.json":
 *
 * <ul>
 *   <li>{@code llama-bpe} (Llama 3, llama3-llava-next-8b): no normalizer, {@link #LLAMA3_REGEX}
 *       (digits in runs of up to 3), byte-level;
 *   <li>{@code qwen2} (Qwen1.5/Qwen2, LLaVA-NeXT-Interleave-Qwen, LLaVA-OneVision-Qwen2): NFC
 *       normalizer, {@link #QWEN2_REGEX} (single digits), byte-level.
 * </ul>
 *
 * Anything else is refused with the regex found, rather than guessed: a wrong {@code pre} silently
 * changes tokenization.
 */
public final class BpePreTokenizer {
    /** Llama 3's split regex, as in its tokenizer.json. */
    public static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Qwen2's split regex, as in its tokenizer.json. */
    public static final String QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private BpePreTokenizer() {}

    /**
     * The {@code tokenizer.ggml.pre} name of a parsed {@code tokenizer.json}.
     *
     * @param file the file, for messages
     * @throws CheckpointException if the pre-tokenizer is not one of the supported families
     */
    public static String identify(Map<String, Object> tokenizerJson, Path file) {
        String normalizer = typeOf(tokenizerJson.get("normalizer"));
        Object pre = tokenizerJson.get("pre_tokenizer");
        String regex = null;
        boolean byteLevel = false;
        boolean prefixSpace = false;
        for (Object step : steps(pre)) {
            if (!(step instanceof Map<?, ?> m)) {
                continue;
            }
            Object type = m.get("type");
            if ("Split".equals(type) && m.get("pattern") instanceof Map<?, ?> p && p.get("Regex") instanceof String r) {
                if (regex != null) {
                    throw unsupported(file, "more than one Split step");
                }
                regex = r;
            } else if ("ByteLevel".equals(type)) {
                byteLevel = true;
                prefixSpace = Boolean.TRUE.equals(m.get("add_prefix_space"));
                if (Boolean.TRUE.equals(m.get("use_regex"))) {
                    throw unsupported(file, "ByteLevel with use_regex (GPT-2 style pre-tokenizer)");
                }
            } else {
                throw unsupported(file, "pre-tokenizer step " + type);
            }
        }
        if (!byteLevel || prefixSpace || regex == null) {
            throw unsupported(
                    file,
                    "expected Split(regex) + ByteLevel(add_prefix_space=false), found "
                            + (pre == null ? "no pre_tokenizer" : pre));
        }
        if (regex.equals(LLAMA3_REGEX) && normalizer == null) {
            return "llama-bpe";
        }
        if (regex.equals(QWEN2_REGEX) && "NFC".equals(normalizer)) {
            return "qwen2";
        }
        throw unsupported(file, "split regex " + regex + " with normalizer " + normalizer);
    }

    private static List<Object> steps(Object pre) {
        if (pre instanceof Map<?, ?> m) {
            if ("Sequence".equals(m.get("type")) && m.get("pretokenizers") instanceof List<?> l) {
                return Json.asList(l);
            }
            return List.of(pre);
        }
        return List.of();
    }

    private static String typeOf(Object n) {
        return n instanceof Map<?, ?> m && m.get("type") instanceof String s ? s : null;
    }

    private static CheckpointException unsupported(Path file, String what) {
        return new CheckpointException(
                file,
                "BPE pre-tokenizer not recognized (" + what + "); llava4j identifies"
                        + " llama-bpe (Llama 3) and qwen2 (Qwen1.5/2) tokenizers");
    }
}
