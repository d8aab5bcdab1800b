package io.llava4j.serve;

import static io.llava4j.serve.ServerFixture.greedy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.testmodels.TinyModels;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Four clients streaming at once from a server of four sequences in one context (decoded together,
 * one batch per step) get the same tokens at temperature 0 as four requests one after the other
 * (F32 KV caches: batching changes only f32 summation order; see ServerFixture).
 */
class ConcurrentStreamsTest {
    @TempDir
    static Path dir;

    static final List<String> QUESTIONS =
            List.of("Tell me about the sea", "What is a fox?", "Describe a city at night", "Count to ten in words");

    @Test
    void fourConcurrentStreamsAnswerAsFourSequentialRequests() throws Exception {
        TinyModels.Pair pair = TinyModels.llava15(dir, 43);
        List<String> sequential = new ArrayList<>();
        try (LlavaModel model = LlavaModel.open(pair.lm(), pair.mmproj())) {
            try (ServerFixture one = new ServerFixture(model, ServeConfig.defaults(), 1, 8)) {
                for (String q : QUESTIONS) {
                    sequential.add(stream(one, q).join());
                }
            }
            try (ServerFixture four = new ServerFixture(model, ServeConfig.defaults(), 4, 8)) {
                List<CompletableFuture<String>> running = new ArrayList<>();
                for (String q : QUESTIONS) {
                    running.add(stream(four, q));
                }
                List<String> concurrent = new ArrayList<>();
                for (CompletableFuture<String> f : running) {
                    concurrent.add(f.get(120, TimeUnit.SECONDS));
                }
                assertEquals(sequential, concurrent);
                for (String s : concurrent) {
                    assertFalse(s.isEmpty());
                }
            }
        }
    }

    /** Streams a greedy answer of 16 tokens; the concatenated deltas. */
    static CompletableFuture<String> stream(ServerFixture server, String question) {
        String body = greedy(question, 16).put("stream", true).toString();
        return ServerFixture.CLIENT
                .sendAsync(
                        server.request("/v1/chat/completions")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofLines())
                .thenApply(r -> {
                    assertEquals(200, r.statusCode());
                    StringBuilder text = new StringBuilder();
                    r.body().forEach(line -> {
                        if (line.startsWith("data: {")) {
                            JsonNode chunk = ServerFixture.parse(line.substring(6));
                            text.append(chunk.at("/choices/0/delta/content").asText(""));
                        }
                    });
                    return text.toString();
                });
    }
}
