package io.llava4j.serve;

import static io.llava4j.serve.ServerFixture.JSON;
import static io.llava4j.serve.ServerFixture.MODEL;
import static io.llava4j.serve.ServerFixture.dataUri;
import static io.llava4j.serve.ServerFixture.greedy;
import static io.llava4j.serve.ServerFixture.parse;
import static io.llava4j.serve.ServerFixture.png;
import static io.llava4j.serve.ServerFixture.userWithImage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.testmodels.TinyModels;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAI protocol of {@code llava4j serve} against a real server on a generated tiny LLaVA-1.5
 * pair: response shapes, streaming, KV reuse across requests, and the request errors. Answers are
 * compared with each other (greedy decoding), never with hard-coded text.
 */
class ServerTest {
    @TempDir
    static Path dir;

    static LlavaModel model;
    static ServerFixture server;

    @BeforeAll
    static void open() {
        TinyModels.Pair pair = TinyModels.llava15(dir, 41);
        model = LlavaModel.open(pair.lm(), pair.mmproj());
        server = new ServerFixture(model, ServeConfig.defaults(), 2, 8);
    }

    @AfterAll
    static void close() {
        server.close();
        model.close();
    }

    @Test
    void aTextCompletionHasOpenAisShapeAndLlava4jsTimings() {
        JsonNode r = server.complete(greedy("Hello there", 6));
        assertTrue(r.get("id").asText().startsWith("chatcmpl-"), r.toString());
        assertEquals("chat.completion", r.get("object").asText());
        assertTrue(r.get("created").asLong() > 1_600_000_000L);
        assertEquals(MODEL, r.get("model").asText());
        JsonNode choice = r.get("choices").get(0);
        assertEquals(0, choice.get("index").asInt());
        assertEquals("assistant", choice.at("/message/role").asText());
        assertTrue(choice.at("/message/content").isTextual());
        assertTrue(Set.of("stop", "length").contains(choice.get("finish_reason").asText()));
        JsonNode usage = r.get("usage");
        assertTrue(usage.get("prompt_tokens").asInt() > 0);
        assertTrue(usage.get("completion_tokens").asInt() > 0);
        assertEquals(
                usage.get("prompt_tokens").asInt()
                        + usage.get("completion_tokens").asInt(),
                usage.get("total_tokens").asInt());
        JsonNode timings = r.get("timings");
        for (String f : List.of("encode_ms", "prefill_ms", "generation_ms", "prompt_positions", "reused_positions")) {
            assertTrue(timings.get(f).isIntegralNumber(), f + " in " + timings);
        }
        assertEquals(
                usage.get("prompt_tokens").asInt(),
                timings.get("prompt_positions").asInt());
    }

    @Test
    void anImageAsDataUriBareBase64OrBareStringFormIsTheSamePicture() {
        byte[] png = png(3);
        List<Integer> prompts = new ArrayList<>();
        List<String> answers = new ArrayList<>();
        for (String form : List.of("data", "base64", "bare")) {
            ObjectNode body = greedy("x", 4);
            ArrayNode messages = body.putArray("messages");
            String url = form.equals("base64") ? Base64.getEncoder().encodeToString(png) : dataUri(png);
            ObjectNode m = userWithImage("What is in the image?", url);
            if (form.equals("bare")) {
                ((ObjectNode) m.get("content").get(1)).put("image_url", url);
            }
            messages.add(m);
            JsonNode r = server.complete(body);
            prompts.add(r.at("/usage/prompt_tokens").asInt());
            answers.add(r.at("/choices/0/message/content").asText());
        }
        // the tiny model's CLIP gives 576 image positions on top of the text's
        assertTrue(prompts.get(0) > 576, prompts.toString());
        assertEquals(List.of(prompts.get(0), prompts.get(0), prompts.get(0)), prompts);
        assertEquals(List.of(answers.get(0), answers.get(0), answers.get(0)), answers);
    }

    @Test
    void streamingSendsTheGreedyAnswerAsChunksThenUsageThenDone() throws Exception {
        ObjectNode body = greedy("Tell me about the sea", 12);
        String whole = server.complete(body).at("/choices/0/message/content").asText();

        body.put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        HttpResponse<java.util.stream.Stream<String>> r = ServerFixture.CLIENT.send(
                server.request("/v1/chat/completions")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                        .build(),
                HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> data = new ArrayList<>();
        r.body().forEach(line -> {
            if (!line.isEmpty()) {
                assertTrue(line.startsWith("data: "), "SSE line: " + line);
                data.add(line.substring(6));
            }
        });
        assertEquals("[DONE]", data.get(data.size() - 1));
        List<JsonNode> chunks = data.subList(0, data.size() - 1).stream()
                .map(ServerFixture::parse)
                .toList();
        String id = chunks.get(0).get("id").asText();
        for (JsonNode c : chunks) {
            assertEquals("chat.completion.chunk", c.get("object").asText());
            assertEquals(id, c.get("id").asText());
            assertEquals(MODEL, c.get("model").asText());
        }
        assertEquals("assistant", chunks.get(0).at("/choices/0/delta/role").asText());
        JsonNode usageChunk = chunks.get(chunks.size() - 1);
        assertEquals(0, usageChunk.get("choices").size());
        assertTrue(usageChunk.at("/usage/completion_tokens").asInt() > 0);
        JsonNode last = chunks.get(chunks.size() - 2);
        assertTrue(
                Set.of("stop", "length")
                        .contains(last.at("/choices/0/finish_reason").asText()),
                last.toString());
        StringBuilder text = new StringBuilder();
        for (JsonNode c : chunks.subList(0, chunks.size() - 2)) {
            assertTrue(c.at("/choices/0/finish_reason").isNull(), c.toString());
            text.append(c.at("/choices/0/delta/content").asText(""));
        }
        assertFalse(whole.isEmpty());
        assertEquals(whole, text.toString());
    }

    @Test
    void aFollowUpResendingTheHistoryReusesTheCachedPositions() {
        ObjectNode body = greedy("x", 5);
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", "You answer briefly.");
        messages.add(userWithImage("What is in the image?", dataUri(png(7))));
        JsonNode first = server.complete(body);
        // a new image: at most a shared start (BOS, the system prompt) of another conversation is reused
        assertTrue(first.at("/timings/reused_positions").asInt()
                < first.at("/timings/prompt_positions").asInt() - 576);

        messages.addObject()
                .put("role", "assistant")
                .put("content", first.at("/choices/0/message/content").asText());
        messages.addObject().put("role", "user").put("content", "And the colours?");
        JsonNode second = server.complete(body);
        int reused = second.at("/timings/reused_positions").asInt();
        assertTrue(reused > 576, "the image and the first turn stay cached: " + second.get("timings"));
        assertTrue(second.at("/timings/prompt_positions").asInt() > reused);
    }

    @Test
    void badRequestsGet400InOpenAisErrorShape() {
        assertError(server.post("/v1/chat/completions", "{\"messages\": ["), 400, null);
        assertError(server.post("/v1/chat/completions", ""), 400, null);

        ObjectNode unknown = greedy("hi", 2).put("model", "gpt-4o");
        assertError(server.post("/v1/chat/completions", unknown.toString()), 400, "model_not_found");

        JsonNode n2 = assertError(
                server.post("/v1/chat/completions", greedy("hi", 2).put("n", 2).toString()), 400, null);
        assertEquals("n", n2.at("/error/param").asText());

        for (String field : List.of("temperature", "top_p", "min_p", "max_tokens", "top_k")) {
            JsonNode e = assertError(
                    server.post(
                            "/v1/chat/completions",
                            greedy("hi", 2).put(field, -1).toString()),
                    400,
                    null);
            assertEquals(field, e.at("/error/param").asText());
        }
        JsonNode template = assertError(
                server.post(
                        "/v1/chat/completions",
                        greedy("hi", 2).put("template", "no_such").toString()),
                400,
                null);
        assertEquals("template", template.at("/error/param").asText());

        ObjectNode endsWithAnswer = greedy("hi", 2);
        ((ArrayNode) endsWithAnswer.get("messages"))
                .addObject()
                .put("role", "assistant")
                .put("content", "ok");
        assertError(server.post("/v1/chat/completions", endsWithAnswer.toString()), 400, null);

        ObjectNode broken = greedy("x", 2);
        broken.putArray("messages").add(userWithImage("What?", "data:image/png;base64,AAAAAAAA"));
        assertError(server.post("/v1/chat/completions", broken.toString()), 400, "invalid_image");

        // never a file of the server: a file: URI is no accepted form, a path reads as (bad) base64
        ObjectNode file = greedy("x", 2);
        file.putArray("messages").add(userWithImage("What?", "file:///etc/passwd"));
        assertError(server.post("/v1/chat/completions", file.toString()), 400, "invalid_image_url");
        ObjectNode path = greedy("x", 2);
        path.putArray("messages").add(userWithImage("What?", "/etc/passwd"));
        assertError(server.post("/v1/chat/completions", path.toString()), 400, "invalid_image");

        String tooLong = "hello ".repeat(1500);
        assertError(server.post("/v1/chat/completions", greedy(tooLong, 2).toString()), 400, "context_length_exceeded");
    }

    @Test
    void imageUrlsOnThisMachineAreRefusedUnlessAllowed() throws Exception {
        com.sun.net.httpserver.HttpServer images =
                com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        byte[] png = png(11);
        images.createContext("/cat.png", ex -> {
            ex.sendResponseHeaders(200, png.length);
            ex.getResponseBody().write(png);
            ex.close();
        });
        images.start();
        try (ServerFixture open =
                new ServerFixture(model, ServeConfig.defaults().withAllowLocalUrls(true), 1, 1)) {
            String url = "http://127.0.0.1:" + images.getAddress().getPort() + "/cat.png";
            ObjectNode body = greedy("x", 2);
            body.putArray("messages").add(userWithImage("What?", url));
            JsonNode refused = assertError(server.post("/v1/chat/completions", body.toString()), 400, "invalid_image");
            assertTrue(refused.at("/error/message").asText().contains("--allow-local-urls"), refused.toString());

            HttpResponse<String> allowed = open.post("/v1/chat/completions", body.toString());
            assertEquals(200, allowed.statusCode(), allowed.body());
            assertTrue(parse(allowed.body()).at("/usage/prompt_tokens").asInt() > 576);
        } finally {
            images.stop(0);
        }
    }

    @Test
    void unknownPathsAndWrongMethods() {
        assertError(server.get("/v1/embeddings"), 404, null);
        HttpResponse<String> r = server.get("/v1/chat/completions");
        assertError(r, 405, "method_not_allowed");
        assertEquals("POST", r.headers().firstValue("Allow").orElse(""));
        assertError(server.post("/health", "{}"), 405, "method_not_allowed");
    }

    @Test
    void modelsHealthAndMetricsDescribeTheServer() {
        JsonNode models = parse(server.get("/v1/models").body());
        assertEquals("list", models.get("object").asText());
        JsonNode m = models.get("data").get(0);
        assertEquals(MODEL, m.get("id").asText());
        assertEquals("model", m.get("object").asText());
        assertEquals("llava4j", m.get("owned_by").asText());
        assertEquals(1024, m.get("context_length").asInt());
        assertEquals(List.of("text", "image"), JSON.convertValue(m.get("input_modalities"), List.class));
        assertEquals(m, parse(server.get("/v1/models/" + MODEL).body()));
        assertError(server.get("/v1/models/other"), 404, "model_not_found");

        HttpResponse<String> health = server.get("/health");
        assertEquals(200, health.statusCode());
        assertEquals("ok", parse(health.body()).get("status").asText());

        server.complete(greedy("Count to three", 3));
        HttpResponse<String> metrics = server.get("/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        String text = metrics.body();
        for (String series : List.of(
                "llava4j_requests_total{endpoint=\"/v1/chat/completions\",model=\"tiny-llava\",status=\"200\"}",
                "llava4j_requests_total{endpoint=\"/health\",model=\"\",status=\"200\"}",
                "llava4j_prompt_tokens_total{model=\"tiny-llava\"} ",
                "llava4j_completion_tokens_total{model=\"tiny-llava\"} ",
                "llava4j_reused_positions_total{model=\"tiny-llava\"} ",
                "llava4j_queue_length{model=\"tiny-llava\"} 0",
                "llava4j_active_requests{model=\"tiny-llava\"} ",
                "llava4j_encode_seconds_bucket{model=\"tiny-llava\",le=",
                "llava4j_prefill_seconds_count{model=\"tiny-llava\"} ",
                "llava4j_generation_seconds_sum{model=\"tiny-llava\"} ",
                "llava4j_image_cache_hits_total{model=\"tiny-llava\",tier=\"disk\"} ",
                "llava4j_image_cache_misses_total{model=\"tiny-llava\"} ")) {
            assertTrue(text.contains(series), series + " in\n" + text);
        }
        // one image asked about in two conversations: encoded once, then taken from the cache
        double hits = series(text, "llava4j_image_cache_hits_total{model=\"tiny-llava\",tier=\"memory\"}");
        for (String question : List.of("What is it?", "Which colours?")) {
            ObjectNode body = greedy("x", 2);
            body.putArray("messages").add(userWithImage(question, dataUri(png(99))));
            server.complete(body);
        }
        String after = server.get("/metrics").body();
        assertTrue(
                series(after, "llava4j_image_cache_hits_total{model=\"tiny-llava\",tier=\"memory\"}") >= hits + 1,
                after);
    }

    @Test
    void healthIs503UntilTheModelIsReady() {
        try (ServerFixture loading = new ServerFixture(null, ServeConfig.defaults(), 1, 0)) {
            HttpResponse<String> health = loading.get("/health");
            assertEquals(503, health.statusCode());
            assertEquals("loading", parse(health.body()).get("status").asText());
            HttpResponse<String> early =
                    loading.post("/v1/chat/completions", greedy("hi", 2).toString());
            assertError(early, 503, "model_loading");
            assertNotNull(early.headers().firstValue("Retry-After").orElse(null));

            loading.server.add(new ChatPool(model, MODEL, 1, ServerFixture.context(), 0));
            assertEquals(200, loading.get("/health").statusCode());
            loading.complete(greedy("hi", 2));
        }
    }

    /** Asserts an error response in OpenAI's shape; returns its JSON. */
    /** The value of one series in a Prometheus text page (0 when absent). */
    static double series(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        return 0;
    }

    static JsonNode assertError(HttpResponse<String> r, int status, String code) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode e = parse(r.body());
        JsonNode error = e.get("error");
        assertNotNull(error, r.body());
        assertTrue(
                error.get("message").isTextual()
                        && !error.get("message").asText().isEmpty(),
                r.body());
        assertTrue(error.get("type").isTextual(), r.body());
        assertTrue(error.has("param") && error.has("code"), r.body());
        if (code != null) {
            assertEquals(code, error.get("code").asText(), r.body());
        }
        return e;
    }
}
