package io.llava4j.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.image.ChatImage;
import io.llava4j.image.ImageLoader;
import io.llava4j.image.RgbImage;
import io.llava4j.model.ContextOptions;
import io.llava4j.sampling.SamplerConfig;
import io.llava4j.template.Message;
import io.llava4j.template.Role;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The conversation file of {@link Chat#save} and {@link LlavaModel#resume}: writes a chat's {@link
 * Snapshot} (and optionally its KV state) and reads them back into a new chat.
 *
 * <p>Format: one line of JSON (UTF-8) with the turns, their images (source path or URL and the
 * SHA-256 of the pixels; images without a source are stored inline as PNG), the system prompt,
 * the settings, the identities of the model files, the last answer's tokens and, optionally, what
 * the KV cache holds; then, if the KV state was saved, llama.cpp's sequence state as raw bytes.
 * With the KV state, a resumed conversation evaluates nothing again; without it, the next answer
 * evaluates the whole history once (encoded images still come from the embedding cache), with the
 * same tokens as before. Version 1 files (before units were typed) open without their KV state.
 *
 * <p>A file saved with other model files is refused with {@code INCOMPATIBLE}; an image whose
 * source now has other pixels, with {@code INVALID_FILE}.
 */
final class ChatFile {
    private static final Logger LOG = LoggerFactory.getLogger(ChatFile.class);
    static final String FORMAT = "llava4j-conversation";
    static final int VERSION = 2;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A header line longer than this is not ours (images are inline PNGs, so it can be large). */
    private static final int MAX_HEADER = 256 << 20;

    private ChatFile() {}

    /**
     * Which model files a chat was made with.
     *
     * @param languageModel the language model's file name (for messages)
     * @param languageModelIdentity {@link io.llava4j.model.FileIdentity} of the language model
     * @param mmprojIdentity {@link io.llava4j.model.FileIdentity} of the mmproj, "" without one
     * @param template the template's name
     */
    record Origin(String languageModel, String languageModelIdentity, String mmprojIdentity, String template) {}

    /**
     * What a chat is, apart from its KV cache.
     *
     * @param systemPrompt null for the template's default
     * @param transcript the last answer's prompt and tokens, or null
     */
    record Snapshot(String systemPrompt, GenerationSettings settings, List<Message> turns, Transcript transcript) {}

    /**
     * A saved KV state to restore: what it holds, and its bytes.
     *
     * @param units what the state holds
     * @param in positioned at the state's first byte
     * @param size the state's bytes
     */
    record KvState(List<Unit> units, ReadableByteChannel in, long size) {}

    /**
     * Writes {@code snapshot} to {@code file} (replaced atomically), with the state of {@code kv}
     * when it is not null.
     *
     * @throws Llava4jException {@code IO} if writing fails
     */
    static void write(Path file, Origin origin, Snapshot snapshot, Sequence kv) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT).put("version", VERSION);
        root.putObject("model")
                .put("languageModel", origin.languageModel())
                .put("languageModelIdentity", origin.languageModelIdentity())
                .put("mmprojIdentity", origin.mmprojIdentity())
                .put("template", origin.template());
        if (snapshot.systemPrompt() != null) {
            root.put("systemPrompt", snapshot.systemPrompt());
        }
        settings(root.putObject("settings"), snapshot.settings());
        ArrayNode turns = root.putArray("turns");
        for (Message t : snapshot.turns()) {
            ObjectNode n = turns.addObject();
            n.put("role", t.role().name().toLowerCase(Locale.ROOT)).put("text", t.text());
            ArrayNode images = n.putArray("images");
            for (ChatImage img : t.images()) {
                ObjectNode i = images.addObject().put("sha256", img.sha256());
                if (img.source().isPresent()) {
                    i.put("source", img.source().get());
                } else {
                    i.put("png", Base64.getEncoder().encodeToString(png(img.pixels())));
                }
            }
        }
        Transcript tr = snapshot.transcript();
        if (tr != null) {
            ObjectNode n = root.putObject("transcript");
            n.put("rendered", tr.rendered())
                    .put("answer", tr.answer())
                    .put("turns", tr.turns())
                    .put("images", tr.images())
                    .put("layout", tr.layout().name());
            units(n.putArray("units"), tr.units());
        }
        if (kv != null) {
            ObjectNode n = root.putObject("kv");
            units(n.putArray("units"), kv.units());
            n.put("positions", kv.positions());
        }
        Path tmp = null;
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                byte[] head = (JSON.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
                out.write(ByteBuffer.wrap(head));
                if (kv != null) {
                    kv.save(out);
                }
                out.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, "cannot save the conversation to " + file + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // nothing more to do: the target was not touched
                }
            }
        }
    }

    /**
     * Opens a saved conversation in a new chat of {@code model} (the caller closes it).
     *
     * @throws Llava4jException {@code IO} if the file cannot be read, {@code INVALID_FILE} if it is
     *     not a conversation file or an image changed, {@code INCOMPATIBLE} if it was saved with
     *     other model files
     */
    static Chat open(LlavaModel model, Path file, ContextOptions options) {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            JsonNode root = JSON.readTree(firstLine(in, file));
            int version = root == null ? 0 : root.path("version").asInt();
            if (!FORMAT.equals(root == null ? null : root.path("format").asText())
                    || version < 1
                    || version > VERSION) {
                throw new Llava4jException(
                        Code.INVALID_FILE,
                        file + " is not a llava4j conversation file (versions 1 to " + VERSION + ")");
            }
            Origin origin = model.origin();
            JsonNode m = root.path("model");
            if (!origin.languageModelIdentity()
                            .equals(m.path("languageModelIdentity").asText())
                    || !origin.mmprojIdentity().equals(m.path("mmprojIdentity").asText())) {
                throw new Llava4jException(
                        Code.INCOMPATIBLE,
                        file + " was saved with another model ("
                                + m.path("languageModel").asText("?") + " and its mmproj); this is "
                                + origin.languageModel()
                                + ": open it with the model it was saved with");
            }
            List<Message> turns = new ArrayList<>();
            for (JsonNode t : root.path("turns")) {
                Role role = Role.valueOf(t.path("role").asText().toUpperCase(Locale.ROOT));
                List<ChatImage> images = new ArrayList<>();
                for (JsonNode i : t.path("images")) {
                    images.add(image(i, file));
                }
                turns.add(new Message(role, t.path("text").asText(), images));
            }
            JsonNode sys = root.get("systemPrompt");
            Transcript transcript = version >= 2 ? transcript(root.get("transcript"), origin, turns, file) : null;
            Snapshot snapshot =
                    new Snapshot(sys != null ? sys.asText() : null, settings(root.path("settings")), turns, transcript);
            KvState kv = null;
            JsonNode k = root.get("kv");
            if (k != null && version < 2) {
                LOG.info("{} is a version 1 file: its KV state is not restored, the history is evaluated again", file);
            } else if (k != null) {
                List<Unit> units = units(k.path("units"), origin, file);
                int positions = Prompt.of(units).positions();
                if (positions != k.path("positions").asInt()) {
                    throw new Llava4jException(
                            Code.INVALID_FILE,
                            file + ": the saved units take " + positions + " positions, the KV state "
                                    + k.path("positions").asInt());
                }
                kv = new KvState(units, in, in.size() - in.position());
            }
            Chat chat = model.newChat(options);
            try {
                chat.restore(snapshot, kv);
                return chat;
            } catch (Llava4jException e) {
                chat.close();
                throw new Llava4jException(e.code(), file + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                chat.close();
                throw e;
            }
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, "cannot read " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new Llava4jException(Code.INVALID_FILE, file + " has an invalid field: " + e.getMessage(), e);
        }
    }

    private static Transcript transcript(JsonNode n, Origin origin, List<Message> saved, Path file) {
        if (n == null) {
            return null;
        }
        int turns = n.path("turns").asInt();
        if (turns < 1 || turns > saved.size()) {
            throw new Llava4jException(
                    Code.INVALID_FILE, file + ": the transcript covers " + turns + " turns of " + saved.size());
        }
        List<Unit> units = units(n.path("units"), origin, file);
        if (units.isEmpty() || !(units.get(units.size() - 1) instanceof Unit.Tokens)) {
            throw new Llava4jException(
                    Code.INVALID_FILE, file + ": the transcript does not end with the answer's tokens");
        }
        for (Unit u : units) {
            if (u instanceof Unit.Image image
                    && saved.stream()
                            .flatMap(t -> t.images().stream())
                            .noneMatch(i -> i.sha256().equals(image.key().imageSha256()))) {
                throw new Llava4jException(
                        Code.INVALID_FILE,
                        file + ": the transcript names image " + image.key().imageSha256() + ", which no turn has");
            }
        }
        return new Transcript(
                n.path("rendered").asText(),
                units,
                n.path("answer").asText(),
                turns,
                n.path("images").asInt(),
                EmbeddingKey.Layout.valueOf(n.path("layout").asText()));
    }

    private static void units(ArrayNode out, List<Unit> units) {
        for (Unit u : units) {
            if (u instanceof Unit.Image image) {
                out.addObject()
                        .put("image", image.key().imageSha256())
                        .put("layout", image.key().layout().name())
                        .put("positions", image.positions());
            } else {
                ArrayNode ids = out.addObject().putArray("tokens");
                for (int id : ((Unit.Tokens) u).ids()) {
                    ids.add(id);
                }
            }
        }
    }

    private static List<Unit> units(JsonNode in, Origin origin, Path file) {
        List<Unit> units = new ArrayList<>();
        for (JsonNode u : in) {
            if (u.has("image")) {
                EmbeddingKey key = new EmbeddingKey(
                        u.path("image").asText(),
                        origin.mmprojIdentity(),
                        EmbeddingKey.Layout.valueOf(u.path("layout").asText()));
                units.add(new Unit.Image(key, u.path("positions").asInt(), null));
            } else {
                JsonNode tokens = u.path("tokens");
                int[] ids = new int[tokens.size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = tokens.get(i).asInt(-1);
                    if (ids[i] < 0) {
                        throw new Llava4jException(
                                Code.INVALID_FILE, file + ": a saved token is not a token id: " + tokens.get(i));
                    }
                }
                units.add(new Unit.Tokens(ids));
            }
        }
        return units;
    }

    private static ChatImage image(JsonNode i, Path file) {
        String sha = i.path("sha256").asText();
        ChatImage img;
        if (i.has("png")) {
            img = ChatImage.of(
                    new ImageLoader()
                            .decode(Base64.getDecoder().decode(i.get("png").asText()), file + " (inline image)"),
                    null);
        } else {
            img = ChatImage.load(i.path("source").asText());
        }
        if (!img.sha256().equals(sha)) {
            throw new Llava4jException(
                    Code.INVALID_FILE,
                    file + ": image " + img.source().orElse("(inline)")
                            + " has other pixels than when the conversation was saved");
        }
        return img;
    }

    private static void settings(ObjectNode n, GenerationSettings s) {
        SamplerConfig c = s.sampler();
        n.put("temperature", c.temperature())
                .put("topK", c.topK())
                .put("topP", c.topP())
                .put("minP", c.minP())
                .put("repeatPenalty", c.repeatPenalty())
                .put("frequencyPenalty", c.frequencyPenalty())
                .put("presencePenalty", c.presencePenalty())
                .put("penaltyWindow", c.penaltyWindow())
                .put("seed", c.seed())
                .put("maxTokens", s.maxTokens());
        ArrayNode stops = n.putArray("stopStrings");
        s.extraStopStrings().forEach(stops::add);
    }

    private static GenerationSettings settings(JsonNode n) {
        SamplerConfig d = SamplerConfig.defaults();
        SamplerConfig c = new SamplerConfig(
                n.path("temperature").asDouble(d.temperature()),
                n.path("topK").asInt(d.topK()),
                n.path("topP").asDouble(d.topP()),
                n.path("minP").asDouble(d.minP()),
                n.path("repeatPenalty").asDouble(d.repeatPenalty()),
                n.path("frequencyPenalty").asDouble(d.frequencyPenalty()),
                n.path("presencePenalty").asDouble(d.presencePenalty()),
                n.path("penaltyWindow").asInt(d.penaltyWindow()),
                n.path("seed").asLong(d.seed()));
        List<String> stops = new ArrayList<>();
        n.path("stopStrings").forEach(x -> stops.add(x.asText()));
        return new GenerationSettings(c, n.path("maxTokens").asInt(GenerationSettings.DEFAULT_MAX_TOKENS), stops);
    }

    /** Reads up to the first newline and leaves the channel just after it. */
    private static String firstLine(FileChannel in, Path file) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long pos = 0;
        while (line.size() <= MAX_HEADER) {
            buf.clear();
            int n = in.read(buf, pos);
            if (n < 0) {
                break;
            }
            for (int i = 0; i < n; i++) {
                if (buf.get(i) == '\n') {
                    line.write(buf.array(), 0, i);
                    in.position(pos + i + 1);
                    return line.toString(StandardCharsets.UTF_8);
                }
            }
            line.write(buf.array(), 0, n);
            pos += n;
        }
        throw new Llava4jException(Code.INVALID_FILE, file + " is not a llava4j conversation file (no header line)");
    }

    private static byte[] png(RgbImage image) {
        BufferedImage bi = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        ByteBuffer px = image.rgbBuffer();
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                int r = px.get() & 0xff;
                int g = px.get() & 0xff;
                int b = px.get() & 0xff;
                bi.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(bi, "png", out);
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, "cannot encode an inline image as PNG: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }
}
