package io.llava4j.pull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The built-in list of well-known LLaVA GGUF pairs ({@code io/llava4j/pull/catalogue.json}): per
 * model a Hugging Face repository, its mmproj and one language-model file per quantization. Users
 * name a pair as {@code NAME} (the entry's default quantization) or {@code NAME:QUANT}.
 *
 * <p>Immutable and thread-safe.
 */
public final class Catalogue {
    private static final String RESOURCE = "catalogue.json";
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static volatile Catalogue builtIn;

    /**
     * A file of an entry.
     *
     * @param path path inside the repository
     * @param sha256 the expected SHA-256 (lower-case hex), or null to trust the hub's
     */
    public record FileSpec(String path, String sha256) {}

    /**
     * One model.
     *
     * @param name what users type
     * @param description one line for {@code --list}
     * @param repo {@code owner/name}
     * @param revision branch, tag or commit
     * @param mmproj the mmproj that goes with every quantization
     * @param defaultQuant the quantization a bare name means
     * @param quants quantization name to language-model file, in catalogue order
     */
    public record Entry(
            String name,
            String description,
            String repo,
            String revision,
            FileSpec mmproj,
            String defaultQuant,
            Map<String, FileSpec> quants) {}

    /**
     * A resolved {@code NAME[:QUANT]}: the two files to fetch.
     *
     * @param name the canonical {@code NAME:QUANT}
     */
    public record Pair(String name, HfFile model, String modelSha256, HfFile mmproj, String mmprojSha256) {}

    private final List<Entry> entries;

    private Catalogue(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** The catalogue shipped with llava4j. */
    public static Catalogue builtIn() {
        Catalogue c = builtIn;
        if (c == null) {
            try (InputStream in = Catalogue.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("resource " + RESOURCE + " is missing from the llava4j jar");
                }
                c = parse(in, RESOURCE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            builtIn = c;
        }
        return c;
    }

    /**
     * Reads a catalogue in the format of the built-in one.
     *
     * @throws Llava4jException {@code INVALID_FILE} naming the source and the problem
     */
    public static Catalogue parse(InputStream json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new Llava4jException(Code.INVALID_FILE, source + ": not valid JSON: " + e.getMessage(), e);
        }
        List<Entry> entries = new ArrayList<>();
        for (JsonNode m : array(object(root, source).get("models"), source + ": models")) {
            entries.add(entry(object(m, source + ": model"), source));
        }
        return new Catalogue(entries);
    }

    private static Entry entry(JsonNode m, String source) {
        String name = string(m, "name", source);
        String where = source + ": model " + name;
        Map<String, FileSpec> quants = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> q :
                object(m.get("quants"), where + ": quants").properties()) {
            quants.put(q.getKey().toLowerCase(Locale.ROOT), file(q.getValue(), where + ": quant " + q.getKey()));
        }
        String def = string(m, "default", where).toLowerCase(Locale.ROOT);
        if (!quants.containsKey(def)) {
            throw new Llava4jException(Code.INVALID_FILE, where + ": default '" + def + "' is not among its quants");
        }
        return new Entry(
                name,
                Objects.requireNonNullElse(text(m.get("description")), ""),
                string(m, "repo", where),
                Objects.requireNonNullElse(text(m.get("revision")), "main"),
                file(m.get("mmproj"), where + ": mmproj"),
                def,
                quants);
    }

    private static FileSpec file(JsonNode o, String where) {
        if (o != null && o.isTextual()) {
            return new FileSpec(o.textValue(), null);
        }
        String sha = text(object(o, where).get("sha256"));
        if (sha != null && !SHA256.matcher(sha).matches()) {
            throw new Llava4jException(Code.INVALID_FILE, where + ": sha256 must be 64 lower-case hex digits");
        }
        return new FileSpec(string(o, "file", where), sha);
    }

    private static JsonNode object(JsonNode o, String where) {
        if (o != null && o.isObject()) {
            return o;
        }
        throw new Llava4jException(Code.INVALID_FILE, where + ": expected an object");
    }

    private static JsonNode array(JsonNode o, String where) {
        if (o != null && o.isArray()) {
            return o;
        }
        throw new Llava4jException(Code.INVALID_FILE, where + ": expected an array");
    }

    private static String string(JsonNode m, String key, String where) {
        JsonNode v = m.get(key);
        if (v != null && v.isTextual() && !v.textValue().isBlank()) {
            return v.textValue();
        }
        throw new Llava4jException(Code.INVALID_FILE, where + ": '" + key + "' must be a non-empty string");
    }

    /** A scalar as text (a number as written); null for a missing key or JSON null. */
    private static String text(JsonNode v) {
        return v == null || v.isNull() ? null : v.isTextual() ? v.textValue() : v.toString();
    }

    /** The entries in catalogue order. */
    public List<Entry> entries() {
        return entries;
    }

    /** The entry a {@code NAME} or {@code NAME:QUANT} refers to, if any (quantization not checked). */
    public Optional<Entry> entry(String ref) {
        String name = ref.contains(":") ? ref.substring(0, ref.indexOf(':')) : ref;
        return entries.stream().filter(e -> e.name().equalsIgnoreCase(name)).findFirst();
    }

    /**
     * Resolves {@code NAME} or {@code NAME:QUANT} (case-insensitive).
     *
     * @throws Llava4jException {@code INVALID_ARGUMENT} listing the known names, or the entry's
     *     quantizations
     */
    public Pair resolve(String ref) {
        Entry e = entry(ref)
                .orElseThrow(() -> new Llava4jException(
                        Code.INVALID_ARGUMENT,
                        "'" + ref
                                + "' is not in the catalogue; known models: "
                                + entries.stream().map(Entry::name).collect(Collectors.joining(", "))
                                + " (or use hf://owner/repo/file.gguf)"));
        String quant =
                ref.contains(":") ? ref.substring(ref.indexOf(':') + 1).toLowerCase(Locale.ROOT) : e.defaultQuant();
        FileSpec lm = e.quants().get(quant);
        if (lm == null) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    e.name() + " has no quantization '" + quant + "'; available: "
                            + String.join(", ", e.quants().keySet()));
        }
        return new Pair(
                e.name() + ":" + quant,
                new HfFile(e.repo(), e.revision(), lm.path()),
                lm.sha256(),
                new HfFile(e.repo(), e.revision(), e.mmproj().path()),
                e.mmproj().sha256());
    }
}
