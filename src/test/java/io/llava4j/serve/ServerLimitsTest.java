package io.llava4j.serve;

import static io.llava4j.serve.ServerFixture.greedy;
import static io.llava4j.serve.ServerTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.conversation.LlavaModel;
import io.llava4j.gguf.GgmlType;
import io.llava4j.model.ContextOptions;
import io.llava4j.testmodels.TinyModels;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's limits: API key, body size, a full queue, and a client that goes away. */
class ServerLimitsTest {
    @TempDir
    static Path dir;

    static LlavaModel model;

    @BeforeAll
    static void open() {
        TinyModels.Pair pair = TinyModels.llava15(dir, 43);
        model = LlavaModel.open(pair.lm(), pair.mmproj());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void anApiKeyIsRequiredEverywhereButHealth() {
        try (ServerFixture f = new ServerFixture(model, ServeConfig.defaults().withApiKey("s3cret"), 1, 1)) {
            assertEquals(200, f.get("/v1/models").statusCode());
            HttpResponse<String> missing = ServerFixture.send(
                    HttpRequest.newBuilder(f.base.resolve("/v1/models")).GET().build());
            assertError(missing, 401, "invalid_api_key");
            assertEquals(
                    "Bearer", missing.headers().firstValue("WWW-Authenticate").orElse(""));
            HttpResponse<String> wrong = ServerFixture.send(HttpRequest.newBuilder(
                            f.base.resolve("/v1/chat/completions"))
                    .header("Authorization", "Bearer s3cre7")
                    .POST(HttpRequest.BodyPublishers.ofString(greedy("hi", 2).toString()))
                    .build());
            assertError(wrong, 401, "invalid_api_key");
            HttpResponse<String> health = ServerFixture.send(
                    HttpRequest.newBuilder(f.base.resolve("/health")).GET().build());
            assertEquals(200, health.statusCode());
            f.complete(greedy("hi", 2));
        }
    }

    @Test
    void aBodyOverTheLimitIs413WithOrWithoutContentLength() {
        try (ServerFixture f = new ServerFixture(model, ServeConfig.defaults().withMaxBodyBytes(2048), 1, 1)) {
            String big = greedy("a ".repeat(2000), 2).toString();
            assertError(f.post("/v1/chat/completions", big), 413, "request_too_large");
            byte[] bytes = big.getBytes(StandardCharsets.UTF_8);
            HttpResponse<String> chunked = ServerFixture.send(f.request("/v1/chat/completions")
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)))
                    .build());
            assertError(chunked, 413, "request_too_large");
            f.complete(greedy("a small one", 2));
        }
    }

    /**
     * A pool of one chat and no queue: while a stream is in flight a second request gets 429 with
     * Retry-After; when that stream's client disconnects, its generation is cancelled and the chat
     * serves the next request. The stream stays in flight deterministically: it asks for about 4000
     * tokens (several seconds' work) and its client stops reading after the first event, so the
     * server's writes block once the socket buffers are full; closing the socket then fails the
     * write, which cancels the generation long before its end (checked from the token counter).
     */
    @Test
    void aFullQueueIs429AndADisconnectedClientFreesItsChat() throws Exception {
        ContextOptions big =
                ContextOptions.defaults().withContextLength(4096).withThreads(2).withKvType(GgmlType.F32);
        LlavaServer server = LlavaServer.start(ServeConfig.defaults().withPort(0), List.of(ServerFixture.MODEL));
        server.add(new ChatPool(model, ServerFixture.MODEL, 1, big, 0));
        try {
            String body = greedy("Tell me everything", 4000).put("stream", true).toString();
            Socket socket = new Socket();
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            byte[] json = body.getBytes(StandardCharsets.UTF_8);
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            + "Content-Type: application/json\r\nContent-Length: " + json.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(json);
            out.flush();
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.startsWith("data: ")) {
                // status line, headers, chunk sizes
            }
            assertTrue(line != null && line.contains("\"role\":\"assistant\""), String.valueOf(line));

            HttpResponse<String> busy = post(server, greedy("me too", 2).toString());
            assertError(busy, 429, "queue_full");
            assertEquals("1", busy.headers().firstValue("Retry-After").orElse(""));

            socket.close();
            String metrics = awaitIdle(server);
            assertEquals(1, (int) value(metrics, "llava4j_cancelled_total{model=\"tiny-llava\"}"), metrics);
            double generated = value(metrics, "llava4j_completion_tokens_total{model=\"tiny-llava\"}");
            assertTrue(generated < 3000, "cancelled early, not run to its end: " + generated + " tokens");

            HttpResponse<String> next = post(server, greedy("my turn", 2).toString());
            assertEquals(200, next.statusCode(), next.body());
        } finally {
            server.close();
        }
    }

    private static HttpResponse<String> post(LlavaServer server, String body) {
        return ServerFixture.send(HttpRequest.newBuilder(server.uri().resolve("/v1/chat/completions"))
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    /**
     * Metrics once no completion is active and the cancelled one is counted (or after 30 s, for the
     * assertions to say what is missing).
     */
    private static String awaitIdle(LlavaServer server) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            String metrics = ServerFixture.send(
                            HttpRequest.newBuilder(server.uri().resolve("/metrics"))
                                    .GET()
                                    .build())
                    .body();
            // idle, and the cancelled completion accounted for (it is counted after its sequence is freed)
            if ((value(metrics, "llava4j_active_requests{model=\"tiny-llava\"}") == 0
                            && value(metrics, "llava4j_cancelled_total{model=\"tiny-llava\"}") > 0)
                    || System.nanoTime() > deadline) {
                return metrics;
            }
            Thread.sleep(20);
        }
    }

    private static double value(String metrics, String series) {
        Matcher m =
                Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        assertTrue(m.find(), series + " in\n" + metrics);
        return Double.parseDouble(m.group(1));
    }
}
