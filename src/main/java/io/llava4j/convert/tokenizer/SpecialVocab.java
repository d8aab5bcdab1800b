package io.llava4j.convert.tokenizer;

import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.Json;
import io.llava4j.gguf.GgufWriter;
import io.llava4j.gguf.LlmKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Special token ids, add-BOS/EOS flags, BPE merges and the chat template of a tokenizer folder: a
 * port of {@code SpecialVocab} in llama.cpp's {@code gguf-py/gguf/vocab.py} (same sources, same
 * precedence, same GGUF keys). Sources, in order: {@code tokenizer.json} (merges, normalizer,
 * {@code added_tokens}, the post-processor's template), {@code tokenizer_config.json}
 * ({@code <type>_token} looked up among the added tokens, {@code add_<type>_token},
 * {@code chat_template}; else {@code chat_template.jinja} or {@code chat_template.json}), then
 * {@code config.json} ({@code <type>_token_id}, also under {@code text_config}). The first id found
 * for a type wins; ids at or above the vocabulary size are skipped.
 *
 * <p>Left out: the additional named templates of {@code additional_chat_templates/}, and the
 * warnings the Python code logs about unusual post-processor templates.
 */
public final class SpecialVocab {
    /** The default special token types, as in vocab.py. */
    static final List<String> DEFAULT_TYPES = List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask");
    /** GGUF keys of the types llama.cpp reads (vocab.py has no writer for {@code cls}, so it is skipped there too). */
    private static final Map<String, String> ID_KEYS = Map.of(
            "bos",
            LlmKeys.TOKENIZER_BOS_ID,
            "eos",
            LlmKeys.TOKENIZER_EOS_ID,
            "unk",
            LlmKeys.TOKENIZER_UNK_ID,
            "sep",
            LlmKeys.TOKENIZER_SEP_ID,
            "pad",
            LlmKeys.TOKENIZER_PAD_ID,
            "mask",
            LlmKeys.TOKENIZER_MASK_ID,
            "eot",
            LlmKeys.TOKENIZER_EOT_ID,
            "eom",
            LlmKeys.TOKENIZER_EOM_ID);

    private static final Map<String, String> ADD_KEYS = Map.of(
            "bos", LlmKeys.TOKENIZER_ADD_BOS, "eos", LlmKeys.TOKENIZER_ADD_EOS, "sep", LlmKeys.TOKENIZER_ADD_SEP);

    private final Integer nVocab;
    private final boolean loadMerges;
    private final List<String> types;
    private final Map<String, Integer> ids = new LinkedHashMap<>();
    private final Map<String, Boolean> add = new LinkedHashMap<>();
    private List<String> merges = List.of();
    private String chatTemplate;
    private Boolean lowercase;
    private Boolean stripAccents;

    private SpecialVocab(Integer nVocab, boolean loadMerges, List<String> types) {
        this.nVocab = nVocab;
        this.loadMerges = loadMerges;
        this.types = new ArrayList<>(types);
    }

    /**
     * Reads the special tokens of the tokenizer in {@code dir}.
     *
     * @param loadMerges also read BPE merges ({@code tokenizer.json}, else {@code merges.txt})
     * @param nVocab vocabulary size, or null for no range check
     */
    public static SpecialVocab load(Path dir, boolean loadMerges, Integer nVocab) {
        SpecialVocab v = new SpecialVocab(nVocab, loadMerges, DEFAULT_TYPES);
        v.fromTokenizerJson(dir);
        v.fromConfigJson(dir);
        if (loadMerges && v.merges.isEmpty()) {
            v.fromMergesTxt(dir);
        }
        return v;
    }

    public Map<String, Integer> ids() {
        return ids;
    }

    public Map<String, Boolean> addFlags() {
        return add;
    }

    public List<String> merges() {
        return merges;
    }

    public String chatTemplate() {
        return chatTemplate;
    }

    /** Sets a special token id unless one is already set (vocab.py's {@code _set_special_token}). */
    void set(String type, Object id) {
        if (!(id instanceof Long l)) {
            return;
        }
        if (l >= 0 && (nVocab == null || l < nVocab)) { // vocab.py raises on negative ids; they are skipped here
            ids.putIfAbsent(type, (int) (long) l);
        }
    }

    /** Writes merges, ids, flags, chat template and normalizer flags, in vocab.py's order. */
    public void writeTo(GgufWriter w) {
        if (!merges.isEmpty()) {
            w.putStringArray(LlmKeys.TOKENIZER_MERGES, merges);
        }
        ids.forEach((type, id) -> {
            String key = ID_KEYS.get(type);
            if (key != null) {
                w.putU32(key, id);
            }
        });
        add.forEach((type, value) -> {
            String key = ADD_KEYS.get(type);
            if (key != null) {
                w.putBool(key, value);
            }
        });
        if (chatTemplate != null) {
            w.putString(LlmKeys.TOKENIZER_CHAT_TEMPLATE, chatTemplate);
        }
        if (lowercase != null) {
            w.putBool(LlmKeys.TOKENIZER_NORMALIZER_LOWERCASE, lowercase);
        }
        if (stripAccents != null) {
            w.putBool(LlmKeys.TOKENIZER_NORMALIZER_STRIP_ACCENTS, stripAccents);
        }
    }

    private void fromTokenizerJson(Path dir) {
        Map<String, Object> tokenizer = null;
        Path tokenizerFile = dir.resolve("tokenizer.json");
        List<Object> addedTokens = List.of();
        if (Files.isRegularFile(tokenizerFile)) {
            tokenizer = Json.readObject(tokenizerFile);
            if (loadMerges && tokenizer.get("model") instanceof Map<?, ?> model) {
                merges = mergesOf(Json.asObject(model).get("merges"), tokenizerFile);
            }
            if (tokenizer.get("normalizer") instanceof Map<?, ?> n) {
                parseNormalizer(Json.asObject(n));
            }
            if (tokenizer.get("added_tokens") instanceof List<?> l) {
                addedTokens = Json.asList(l);
            }
        }
        Path configFile = dir.resolve("tokenizer_config.json");
        Map<String, Object> tc =
                Files.isRegularFile(configFile) ? new LinkedHashMap<>(Json.readObject(configFile)) : null;
        if (tokenizer != null) {
            postProcessor(tokenizer, tc);
        }
        if (tc == null) {
            return;
        }
        Object alt = null;
        Path jinja = dir.resolve("chat_template.jinja");
        Path json = dir.resolve("chat_template.json");
        if (Files.isRegularFile(jinja)) {
            try {
                alt = Files.readString(jinja, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new CheckpointException(io.llava4j.Llava4jException.Code.IO, jinja, "cannot read: " + e, e);
            }
        } else if (Files.isRegularFile(json)) {
            alt = Json.readObject(json).get("chat_template");
        }
        Object template = tc.containsKey("chat_template") ? tc.get("chat_template") : alt;
        if (template instanceof String s) {
            chatTemplate = s;
        } else if (template instanceof List<?> list) {
            for (Object o : list) { // named templates: keep the default one
                if (o instanceof Map<?, ?> m
                        && "default".equals(m.get("name"))
                        && m.get("template") instanceof String s) {
                    chatTemplate = s;
                }
            }
        }
        for (String type : types) {
            if (tc.get("add_" + type + "_token") instanceof Boolean b) {
                add.put(type, b);
            }
            Object entry = tc.get(type + "_token");
            String content;
            if (entry instanceof String s) {
                content = s;
            } else if (entry instanceof Map<?, ?> m && m.get("content") instanceof String s) {
                content = s;
            } else {
                continue;
            }
            for (Object t : addedTokens) {
                if (t instanceof Map<?, ?> m && content.equals(m.get("content"))) {
                    set(type, m.get("id"));
                    break;
                }
            }
        }
    }

    /** vocab.py's crude reading of RobertaProcessing / TemplateProcessing (single sequence part). */
    private void postProcessor(Map<String, Object> tokenizer, Map<String, Object> tc) {
        if (!(tokenizer.get("post_processor") instanceof Map<?, ?> pp)) {
            return;
        }
        Map<String, Object> cfg = tc == null ? new LinkedHashMap<>() : tc;
        Object bos = cfg.get("bos_token");
        Object cls = cfg.get("cls_token");
        Object eos = cfg.get("eos_token");
        Object sep = cfg.get("sep_token");
        if (!truthy(bos) && truthy(cls) && tc != null) {
            tc.put("bos_token", bos = cls);
        }
        if (!truthy(eos) && truthy(sep) && tc != null) {
            tc.put("eos_token", eos = sep);
        }
        List<Object> processors = pp.get("processors") instanceof List<?> l ? Json.asList(l) : List.of(pp);
        for (Object o : processors) {
            if (!(o instanceof Map<?, ?> proc)) {
                continue;
            }
            if ("RobertaProcessing".equals(proc.get("type"))) {
                add.put("bos", true);
                add.put("eos", true);
                add.put("sep", true);
                continue;
            }
            if (!"TemplateProcessing".equals(proc.get("type"))) {
                continue;
            }
            List<Object> single = proc.get("single") instanceof List<?> l ? Json.asList(l) : List.of();
            if (single.size() > 1) {
                Object first = specialId(single.get(0));
                if (truthy(first)) {
                    if (tc == null) {
                        bos = first;
                    } else if (!Objects.equals(first, bos) && !Objects.equals(first, cls)) {
                        if (!truthy(bos)) {
                            tc.put("bos_token", bos = first);
                        }
                        if (!truthy(cls)) {
                            tc.put("cls_token", cls = first);
                        }
                    }
                    add.put("bos", Objects.equals(first, bos) || Objects.equals(first, cls));
                }
                Object last = specialId(single.get(single.size() - 1));
                if (truthy(last)) {
                    if (tc == null) {
                        eos = last;
                    } else if (!Objects.equals(last, eos)) {
                        if (!types.contains("eot")) {
                            types.add("eot");
                            tc.put("eot_token", eos);
                        } else if (!types.contains("eom")) {
                            types.add("eom");
                            tc.put("eom_token", eos);
                        }
                        tc.put("eos_token", eos = last);
                    }
                    add.put("eos", Objects.equals(last, eos));
                }
            }
        }
    }

    private static Object specialId(Object item) {
        return item instanceof Map<?, ?> m && m.get("SpecialToken") instanceof Map<?, ?> st ? st.get("id") : null;
    }

    private static boolean truthy(Object o) {
        return o != null && !(o instanceof String s && s.isEmpty()) && !(o instanceof Boolean b && !b);
    }

    private void parseNormalizer(Map<String, Object> n) {
        Object type = n.get("type");
        if ("Lowercase".equals(type)) {
            lowercase = true;
        } else if ("StripAccents".equals(type)) {
            stripAccents = true;
        } else if ("BertNormalizer".equals(type)) {
            if (n.get("lowercase") instanceof Boolean b) {
                lowercase = b;
            }
            if (n.get("strip_accents") instanceof Boolean b) {
                stripAccents = b;
            }
        } else if ("Sequence".equals(type) && n.get("normalizers") instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof Map<?, ?> m) {
                    parseNormalizer(Json.asObject(m));
                }
            }
        }
    }

    /** Merges in either tokenizer.json format; pair entries with spaces get vocab.py's U+0120 shift. */
    private static List<String> mergesOf(Object v, Path file) {
        if (!(v instanceof List<?> l) || l.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>(l.size());
        if (l.get(0) instanceof String) {
            for (Object o : l) {
                out.add((String) o);
            }
            return out;
        }
        if (l.get(0) instanceof List<?>) {
            for (Object o : l) {
                List<?> pair = (List<?>) o;
                if (pair.size() != 2) {
                    throw new CheckpointException(file, "a merge is not a pair: " + pair);
                }
                out.add(shiftSpaces((String) pair.get(0)) + " " + shiftSpaces((String) pair.get(1)));
            }
            return out;
        }
        throw new CheckpointException(file, "unknown merges format");
    }

    private static String shiftSpaces(String s) {
        return s.indexOf(' ') < 0 ? s : s.replace(' ', (char) (' ' + 256));
    }

    private void fromMergesTxt(Path dir) {
        Path f = dir.resolve("merges.txt");
        if (!Files.isRegularFile(f)) {
            return;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CheckpointException(io.llava4j.Llava4jException.Code.IO, f, "cannot read: " + e, e);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || (i == 0 && line.startsWith("#"))) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length == 2) {
                out.add(parts[0] + " " + parts[1]);
            }
        }
        merges = out;
    }

    private void fromConfigJson(Path dir) {
        Path f = dir.resolve("config.json");
        if (!Files.isRegularFile(f)) {
            return;
        }
        Map<String, Object> config = Json.readObject(f);
        Map<String, Object> text = config.get("text_config") instanceof Map<?, ?> m ? Json.asObject(m) : null;
        for (String type : types) {
            Object id = config.get(type + "_token_id");
            if (id == null && text != null) {
                id = text.get(type + "_token_id");
            }
            set(type, id);
        }
    }
}
