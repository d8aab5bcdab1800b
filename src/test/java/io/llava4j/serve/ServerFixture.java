package io.llava4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.gguf.GgmlType;
import io.llava4j.model.ContextOptions;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;

/** A server on a tiny model, and the HTTP calls the serve tests make against it. */
final class ServerFixture implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String MODEL = "tiny-llava";
    static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    final LlavaServer server;
    final URI base;
    final String key;

    /**
     * Starts a server on a free loopback port answering with {@code parallel} chats of 1024
     * positions each; F32 KV caches, as ChatTest explains, so that answers reached by different
     * evaluation orders (a reused cache, one pass) are the same tokens.
     */
    ServerFixture(LlavaModel model, ServeConfig config, int parallel, int maxQueue) {
        this(model == null ? List.of() : List.of(model), List.of(MODEL), config, parallel, maxQueue);
    }

    /**
     * As above, for several models: {@code models.get(i)} is served as {@code ids.get(i)}; ids
     * beyond the models' count stay loading until the test adds them.
     */
    ServerFixture(List<LlavaModel> models, List<String> ids, ServeConfig config, int parallel, int maxQueue) {
        this(models, ids, config, parallel, maxQueue, context());
    }

    /** As above, with sequences of {@code context}. */
    ServerFixture(
            List<LlavaModel> models,
            List<String> ids,
            ServeConfig config,
            int parallel,
            int maxQueue,
            ContextOptions context) {
        this.server = LlavaServer.start(config.withPort(0), ids);
        this.key = config.apiKey();
        for (int i = 0; i < models.size(); i++) {
            server.add(new ChatPool(models.get(i), ids.get(i), parallel, context, maxQueue));
        }
        this.base = server.uri();
    }

    static ContextOptions context() {
        return ContextOptions.defaults().withContextLength(1024).withThreads(2).withKvType(GgmlType.F32);
    }

    @Override
    public void close() {
        server.close();
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return b;
    }

    HttpResponse<String> get(String path) {
        return send(request(path).GET().build());
    }

    HttpResponse<String> post(String path, String body) {
        return send(request(path)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    /** A completion that must succeed; its JSON. */
    JsonNode complete(ObjectNode body) {
        HttpResponse<String> r = post("/v1/chat/completions", body.toString());
        assertEquals(200, r.statusCode(), r.body());
        return parse(r.body());
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(json, e);
        }
    }

    /** A greedy request with one user message. */
    static ObjectNode greedy(String text, int maxTokens) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", MODEL);
        body.put("temperature", 0);
        body.put("max_tokens", maxTokens);
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "user").put("content", text);
        return body;
    }

    /** A user message with a text part and an image part. */
    static ObjectNode userWithImage(String text, String url) {
        ObjectNode m = JSON.createObjectNode().put("role", "user");
        ArrayNode parts = m.putArray("content");
        parts.addObject().put("type", "text").put("text", text);
        parts.addObject().put("type", "image_url").putObject("image_url").put("url", url);
        return m;
    }

    /** A PNG of a gradient, encoded here. */
    static byte[] png(int salt) {
        BufferedImage image = new BufferedImage(120, 90, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 90; y++) {
            for (int x = 0; x < 120; x++) {
                image.setRGB(x, y, ((x * 2 + salt) & 0xff) << 16 | ((y * 3) & 0xff) << 8 | ((x + y + salt) & 0xff));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static String dataUri(byte[] png) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
    }
}
