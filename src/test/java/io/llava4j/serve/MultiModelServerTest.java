package io.llava4j.serve;

import static io.llava4j.serve.ServerFixture.JSON;
import static io.llava4j.serve.ServerFixture.dataUri;
import static io.llava4j.serve.ServerFixture.greedy;
import static io.llava4j.serve.ServerFixture.parse;
import static io.llava4j.serve.ServerFixture.png;
import static io.llava4j.serve.ServerFixture.userWithImage;
import static io.llava4j.serve.ServerTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llava4j.Llava4jException;
import io.llava4j.conversation.GenerationListener;
import io.llava4j.conversation.GenerationResult;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.testmodels.TinyModels;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One server, several models: requests go to the model their {@code model} field names, each
 * model answers as it does when served alone, and the server describes, loads, counts and stops
 * them one by one. The models: two tiny LLaVA-1.5 pairs of different weights ({@code alpha},
 * {@code beta}) and {@code alpha}'s language model without its mmproj ({@code text}).
 */
class MultiModelServerTest {
    static final List<String> IDS = List.of("alpha", "beta", "text");

    @TempDir
    static Path dir;

    static LlavaModel alpha;
    static LlavaModel beta;
    static LlavaModel text;
    static ServerFixture server;

    @BeforeAll
    static void open() {
        TinyModels.Pair a = TinyModels.llava15(dir.resolve("a"), 11);
        TinyModels.Pair b = TinyModels.llava15(dir.resolve("b"), 23);
        alpha = LlavaModel.open(a.lm(), a.mmproj());
        beta = LlavaModel.open(b.lm(), b.mmproj());
        text = LlavaModel.open(a.lm(), null);
        server = new ServerFixture(List.of(alpha, beta, text), IDS, ServeConfig.defaults(), 1, 4);
    }

    @AfterAll
    static void close() {
        if (server != null) {
            server.close();
        }
        for (LlavaModel m : new LlavaModel[] {alpha, beta, text}) {
            if (m != null) {
                m.close();
            }
        }
    }

    static ObjectNode ask(String model, String question) {
        return greedy(question, 8).put("model", model);
    }

    static String answer(ServerFixture on, ObjectNode body) {
        JsonNode r = on.complete(body);
        assertEquals(body.get("model").asText(), r.get("model").asText(), r.toString());
        return r.at("/choices/0/message/content").asText();
    }

    /**
     * Greedy answers name their model, differ between the two weights, and equal what each model
     * says when it is the only one served: the model field picks the engine, nothing else.
     */
    @Test
    void eachRequestIsAnsweredByTheModelItNames() {
        String question = "Describe the sea in one sentence";
        String a = answer(server, ask("alpha", question));
        String b = answer(server, ask("beta", question));
        assertNotEquals(a, b);
        assertEquals(a, answer(server, ask("text", question)), "alpha's language model without its mmproj");

        ObjectNode withImage = ask("beta", "x");
        withImage.putArray("messages").add(userWithImage("What is in the image?", dataUri(png(5))));
        String bImage = answer(server, withImage);

        try (ServerFixture alone = new ServerFixture(alpha, ServeConfig.defaults(), 1, 4)) {
            assertEquals(a, answer(alone, ask(ServerFixture.MODEL, question)));
            ObjectNode unnamed = ask(ServerFixture.MODEL, question);
            unnamed.remove("model");
            JsonNode r = alone.complete(unnamed);
            assertEquals(ServerFixture.MODEL, r.get("model").asText(), "one model: 'model' may be left out");
            assertEquals(a, r.at("/choices/0/message/content").asText());
        }
        try (ServerFixture alone = new ServerFixture(beta, ServeConfig.defaults(), 1, 4)) {
            assertEquals(b, answer(alone, ask(ServerFixture.MODEL, question)));
            assertEquals(bImage, answer(alone, withImage.deepCopy().put("model", ServerFixture.MODEL)));
        }
    }

    @Test
    void modelsListsEveryModelWithItsOwnModalities() {
        JsonNode data = parse(server.get("/v1/models").body()).get("data");
        assertEquals(3, data.size(), data.toString());
        for (int i = 0; i < IDS.size(); i++) {
            assertEquals(IDS.get(i), data.get(i).get("id").asText());
            assertEquals(
                    data.get(i), parse(server.get("/v1/models/" + IDS.get(i)).body()));
        }
        assertEquals(List.of("text", "image"), JSON.convertValue(data.get(1).get("input_modalities"), List.class));
        assertEquals(List.of("text"), JSON.convertValue(data.get(2).get("input_modalities"), List.class));
        assertError(server.get("/v1/models/gamma"), 404, "model_not_found");
    }

    @Test
    void aRequestMustNameAServedModel() {
        ObjectNode unnamed = greedy("hi", 2);
        unnamed.remove("model");
        JsonNode missing = assertError(server.post("/v1/chat/completions", unnamed.toString()), 400, null);
        assertEquals("model", missing.at("/error/param").asText());
        assertNamesEveryModel(missing);

        JsonNode unknown = assertError(
                server.post("/v1/chat/completions", ask("gamma", "hi").toString()), 400, "model_not_found");
        assertEquals("model", unknown.at("/error/param").asText());
        assertNamesEveryModel(unknown);

        // each request is checked against its own model: only the text model refuses images
        ObjectNode image = ask("text", "x");
        image.putArray("messages").add(userWithImage("What?", dataUri(png(2))));
        JsonNode blind = assertError(server.post("/v1/chat/completions", image.toString()), 400, null);
        assertTrue(blind.at("/error/message").asText().contains("no vision encoder"), blind.toString());
    }

    private static void assertNamesEveryModel(JsonNode error) {
        String message = error.at("/error/message").asText();
        for (String id : IDS) {
            assertTrue(message.contains("'" + id + "'"), message);
        }
    }

    /**
     * The server listens before its models load: health is 503 and lists what is loaded, a loaded
     * model answers while another still loads (that one is 503 with Retry-After), and health is 200
     * once all are in.
     */
    @Test
    void healthIs503UntilEveryModelIsLoadedWhileLoadedOnesAnswer() {
        try (ServerFixture loading =
                new ServerFixture(List.of(), List.of("alpha", "beta"), ServeConfig.defaults(), 1, 0)) {
            HttpResponse<String> health = loading.get("/health");
            assertEquals(503, health.statusCode());
            assertEquals("loading", parse(health.body()).get("status").asText());
            assertEquals(0, parse(health.body()).get("loaded").size());
            assertError(loading.get("/v1/models"), 503, "model_loading");

            loading.server.add(new ChatPool(alpha, "alpha", 1, ServerFixture.context(), 0));
            health = loading.get("/health");
            assertEquals(503, health.statusCode());
            assertEquals(
                    List.of("alpha"), JSON.convertValue(parse(health.body()).get("loaded"), List.class));
            answer(loading, ask("alpha", "hi"));
            HttpResponse<String> early =
                    loading.post("/v1/chat/completions", ask("beta", "hi").toString());
            assertError(early, 503, "model_loading");
            assertEquals("5", early.headers().firstValue("Retry-After").orElse(""));
            assertError(loading.get("/v1/models/beta"), 503, "model_loading");
            assertEquals(1, parse(loading.get("/v1/models").body()).get("data").size());

            loading.server.add(new ChatPool(beta, "beta", 1, ServerFixture.context(), 0));
            health = loading.get("/health");
            assertEquals(200, health.statusCode());
            assertEquals(
                    List.of("alpha", "beta"),
                    JSON.convertValue(parse(health.body()).get("loaded"), List.class));
            answer(loading, ask("beta", "hi"));
        }
    }

    @Test
    void metricsCountEachModelUnderItsOwnLabel() {
        answer(server, ask("alpha", "Count to three"));
        answer(server, ask("beta", "Count to three"));
        String metrics = server.get("/metrics").body();
        for (String id : IDS) {
            for (String series : List.of(
                    "llava4j_prompt_tokens_total{model=\"" + id + "\"} ",
                    "llava4j_queue_length{model=\"" + id + "\"} 0",
                    "llava4j_active_requests{model=\"" + id + "\"} ",
                    "llava4j_generation_seconds_count{model=\"" + id + "\"} ")) {
                assertTrue(metrics.contains(series), series + " in\n" + metrics);
            }
        }
        for (String id : List.of("alpha", "beta")) {
            assertTrue(value(
                            metrics,
                            "llava4j_requests_total{endpoint=\"/v1/chat/completions\",model=\"" + id
                                    + "\",status=\"200\"}")
                    >= 1);
            assertTrue(value(metrics, "llava4j_completion_tokens_total{model=\"" + id + "\"}") > 0);
        }

        // a request refused before it reaches a model counts under none: ids clients make up are no labels
        server.post("/v1/chat/completions", ask("made-up", "hi").toString());
        metrics = server.get("/metrics").body();
        assertTrue(value(metrics, "llava4j_requests_total{endpoint=\"/v1/chat/completions\",model=\"\",status=\"400\"}")
                >= 1);
        assertTrue(!metrics.contains("made-up"), metrics);
    }

    private static double value(String metrics, String series) {
        Matcher m =
                Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        assertTrue(m.find(), series + " in\n" + metrics);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void idsAreUniqueAndEveryEngineBelongsToOne() {
        assertThrows(
                IllegalArgumentException.class,
                () -> LlavaServer.start(ServeConfig.defaults().withPort(0), List.of("a", "a")));
        assertThrows(
                IllegalArgumentException.class,
                () -> LlavaServer.start(ServeConfig.defaults().withPort(0), List.of()));
        LlavaServer s = LlavaServer.start(ServeConfig.defaults().withPort(0), List.of("a"));
        try {
            RecordingEngine stranger = new RecordingEngine("b");
            assertThrows(IllegalArgumentException.class, () -> s.add(stranger));
            assertEquals(Set.of("b"), RecordingEngine.shutDown.keySet(), "a refused engine is shut down at once");
            assertThrows(
                    IllegalArgumentException.class,
                    () -> ModelServer.attach(s, alpha, "b", 1, ServerFixture.context(), 0));
        } finally {
            s.close();
            RecordingEngine.shutDown.clear();
        }
    }

    /**
     * Closing the server shuts every model's engine down, each with the full grace period; a model
     * that finishes loading after that is refused and its engine shut down.
     */
    @Test
    void closeShutsEveryEngineDown() {
        LlavaServer s = LlavaServer.start(ServeConfig.defaults().withPort(0), List.of("a", "b", "c"));
        s.add(new RecordingEngine("a"));
        s.add(new RecordingEngine("b"));
        s.close();
        try {
            assertEquals(Set.of("a", "b"), RecordingEngine.shutDown.keySet());
            for (long grace : RecordingEngine.shutDown.values()) {
                assertEquals(LlavaServer.SHUTDOWN_GRACE_MILLIS, grace);
            }
            Llava4jException late = assertThrows(Llava4jException.class, () -> s.add(new RecordingEngine("c")));
            assertEquals(Llava4jException.Code.CLOSED, late.code());
            assertEquals(0L, RecordingEngine.shutDown.get("c"));
        } finally {
            RecordingEngine.shutDown.clear();
        }
    }

    /** An engine that answers nothing and records its shutdown. */
    private record RecordingEngine(String id) implements CompletionEngine {
        static final ConcurrentHashMap<String, Long> shutDown = new ConcurrentHashMap<>();

        @Override
        public ModelInfo model() {
            return new ModelInfo(id, 16, 0, Set.of("llava_v1"), false);
        }

        @Override
        public GenerationResult complete(
                Completion completion, GenerationListener listener, Cancellation cancellation) {
            throw new UnsupportedOperationException();
        }

        @Override
        public io.llava4j.conversation.EmbeddingCache.Stats imageCache() {
            return new io.llava4j.conversation.EmbeddingCache.Stats(0, 0, 0, 0, 0, 0);
        }

        @Override
        public int queued() {
            return 0;
        }

        @Override
        public int active() {
            return 0;
        }

        @Override
        public void shutdown(long graceMillis) {
            shutDown.put(id, graceMillis);
        }
    }
}
