package io.llava4j.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.template.Role;
import io.llava4j.image.ImageLoader;
import io.llava4j.image.RgbImage;
import io.llava4j.model.ContextOptions;
import io.llava4j.sampling.SamplerConfig;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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

/**
 * Saves a {@link Chat} to a file and opens it again.
 *
 * <p>Format: one line of JSON (UTF-8) with the turns, their images (source path or URL and the
 * SHA-256 of the pixels; images without a source are stored inline as PNG), the system prompt,
 * the settings, the identities of the model files and, optionally, what the KV cache holds; then,
 * if the KV state was saved, llama.cpp's sequence state as raw bytes. With the KV state, a resumed
 * conversation evaluates nothing again; without it, the next answer evaluates the whole history
 * once (encoded images still come from the embedding cache).
 *
 * <p>A file saved with other model files is refused with {@code INCOMPATIBLE}; an image whose
 * source now has other pixels, with {@code INVALID_FILE}.
 */
public final class ChatFile {
    static final String FORMAT = "llava4j-conversation";
    static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatFile() {}

    /**
     * Writes {@code chat} to {@code file} (replaced atomically).
     *
     * @param withKvState also save the KV cache (its size: about {@code 2 * layers * kv_width * 2}
     *     bytes per position for F16 caches, e.g. 0.5 MB per position for a 7B LLaMA)
     * @throws Llava4jException {@code IO} if writing fails, {@code ILLEGAL_STATE} while generating
     */
    public static void save(Chat chat, Path file, boolean withKvState) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT).put("version", VERSION);
        LlavaModel model = chat.model();
        ObjectNode m = root.putObject("model");
        m.put("languageModel", model.languageModel().path().getFileName().toString());
        m.put("languageModelIdentity", model.languageModelIdentity());
        m.put("mmprojIdentity", model.mmprojIdentity());
        m.put("template", model.template().template().name());
        if (chat.systemPrompt() != null) {
            root.put("systemPrompt", chat.systemPrompt());
        }
        settings(root.putObject("settings"), chat.settings());
        ArrayNode turns = root.putArray("turns");
        for (ChatTurn t : chat.turns()) {
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
        PromptState state = chat.state();
        if (withKvState) {
            ObjectNode kv = root.putObject("kv");
            ArrayNode slots = kv.putArray("slots");
            List<EmbeddingKey> keys = state.slotKeys();
            List<Integer> tokens = state.slotTokens();
            for (int s = 0; s < keys.size(); s++) {
                slots.addObject().put("sha256", keys.get(s).imageSha256()).put("layout", keys.get(s).layout().name())
                        .put("positions", tokens.get(s));
            }
            ArrayNode units = kv.putArray("units");
            state.evaluatedUnits().forEach(units::add);
            kv.put("positions", chat.context().position());
        }
        Path tmp = null;
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                byte[] head = (JSON.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
                out.write(ByteBuffer.wrap(head));
                if (withKvState) {
                    chat.context().saveState(out);
                }
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
    public static Chat load(LlavaModel model, Path file, ContextOptions options) {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            JsonNode root = JSON.readTree(firstLine(in, file));
            if (root == null || !FORMAT.equals(root.path("format").asText()) || root.path("version").asInt() != VERSION) {
                throw new Llava4jException(Code.INVALID_FILE, file + " is not a llava4j conversation file (version "
                        + VERSION + ")");
            }
            JsonNode m = root.path("model");
            if (!model.languageModelIdentity().equals(m.path("languageModelIdentity").asText())
                    || !model.mmprojIdentity().equals(m.path("mmprojIdentity").asText())) {
                throw new Llava4jException(Code.INCOMPATIBLE, file + " was saved with another model ("
                        + m.path("languageModel").asText("?") + " and its mmproj); this is "
                        + model.languageModel().path().getFileName() + ": open it with the model it was saved with");
            }
            List<ChatTurn> turns = new ArrayList<>();
            for (JsonNode t : root.path("turns")) {
                Role role = Role.valueOf(t.path("role").asText().toUpperCase(Locale.ROOT));
                List<ChatImage> images = new ArrayList<>();
                for (JsonNode i : t.path("images")) {
                    images.add(image(i, file));
                }
                turns.add(new ChatTurn(role, t.path("text").asText(), images));
            }
            Chat chat = model.newChat(options);
            try {
                JsonNode sys = root.get("systemPrompt");
                chat.restore(sys != null ? sys.asText() : null, settings(root.path("settings")), turns);
                JsonNode kv = root.get("kv");
                if (kv != null) {
                    restoreKv(chat, kv, in, file);
                }
                return chat;
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

    private static void restoreKv(Chat chat, JsonNode kv, FileChannel in, Path file) throws IOException {
        List<EmbeddingKey> keys = new ArrayList<>();
        List<Integer> tokens = new ArrayList<>();
        for (JsonNode s : kv.path("slots")) {
            keys.add(new EmbeddingKey(s.path("sha256").asText(), chat.model().mmprojIdentity(),
                    EmbeddingKey.Layout.valueOf(s.path("layout").asText())));
            tokens.add(s.path("positions").asInt());
        }
        List<Integer> units = new ArrayList<>();
        kv.path("units").forEach(u -> units.add(u.asInt()));
        int positions = kv.path("positions").asInt();
        chat.state().restore(keys, tokens, units);
        if (chat.state().evaluatedPositions() != positions) {
            chat.state().reset();
            throw new Llava4jException(Code.INVALID_FILE, file + ": the saved units take "
                    + chat.state().evaluatedPositions() + " positions, the KV state " + positions);
        }
        long size = in.size() - in.position();
        try {
            chat.context().restoreState(in, size, positions);
        } catch (Llava4jException e) {
            chat.state().reset();
            throw new Llava4jException(e.code(), file + ": " + e.getMessage(), e);
        }
    }

    private static ChatImage image(JsonNode i, Path file) {
        String sha = i.path("sha256").asText();
        ChatImage img;
        if (i.has("png")) {
            img = ChatImage.of(new ImageLoader().decode(Base64.getDecoder().decode(i.get("png").asText()),
                    file + " (inline image)"), null);
        } else {
            img = ChatImage.load(i.path("source").asText());
        }
        if (!img.sha256().equals(sha)) {
            throw new Llava4jException(Code.INVALID_FILE, file + ": image " + img.source().orElse("(inline)")
                    + " has other pixels than when the conversation was saved");
        }
        return img;
    }

    private static void settings(ObjectNode n, GenerationSettings s) {
        SamplerConfig c = s.sampler();
        n.put("temperature", c.temperature()).put("topK", c.topK()).put("topP", c.topP()).put("minP", c.minP())
                .put("repeatPenalty", c.repeatPenalty()).put("frequencyPenalty", c.frequencyPenalty())
                .put("presencePenalty", c.presencePenalty()).put("penaltyWindow", c.penaltyWindow())
                .put("seed", c.seed()).put("maxTokens", s.maxTokens());
        ArrayNode stops = n.putArray("stopStrings");
        s.extraStopStrings().forEach(stops::add);
    }

    private static GenerationSettings settings(JsonNode n) {
        SamplerConfig d = SamplerConfig.defaults();
        SamplerConfig c = new SamplerConfig(n.path("temperature").asDouble(d.temperature()),
                n.path("topK").asInt(d.topK()), n.path("topP").asDouble(d.topP()), n.path("minP").asDouble(d.minP()),
                n.path("repeatPenalty").asDouble(d.repeatPenalty()),
                n.path("frequencyPenalty").asDouble(d.frequencyPenalty()),
                n.path("presencePenalty").asDouble(d.presencePenalty()),
                n.path("penaltyWindow").asInt(d.penaltyWindow()), n.path("seed").asLong(d.seed()));
        List<String> stops = new ArrayList<>();
        n.path("stopStrings").forEach(x -> stops.add(x.asText()));
        return new GenerationSettings(c, n.path("maxTokens").asInt(GenerationSettings.DEFAULT_MAX_TOKENS), stops);
    }

    /** Reads up to the first newline and leaves the channel just after it. */
    private static String firstLine(FileChannel in, Path file) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long pos = 0;
        while (true) {
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
            if (line.size() > (256 << 20)) {
                break;
            }
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
