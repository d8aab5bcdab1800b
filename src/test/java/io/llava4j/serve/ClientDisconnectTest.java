package io.llava4j.serve;

import static io.llava4j.serve.ServerFixture.greedy;
import static io.llava4j.serve.ServerTest.series;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llava4j.conversation.EmbeddingCache;
import io.llava4j.conversation.FinishReason;
import io.llava4j.conversation.GenerationListener;
import io.llava4j.conversation.GenerationResult;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.gguf.GgmlType;
import io.llava4j.model.ContextOptions;
import io.llava4j.testmodels.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that closes its connection while a non-streamed completion is answered cancels it at
 * once and frees its sequence, whether it was generating or waiting in the queue (Jetty reads no
 * HTTP/1.1 connection while a request is handled, so without {@link DisconnectWatch} it ran to
 * max_tokens). Clients that keep their connection, with keep-alive or pipelining, are answered in
 * full. Requests go over raw sockets, to close them at a chosen moment and to pipeline; the pool
 * is wrapped to tell the test when a completion has started generating and what it returned. One
 * chat of 4096 positions and no queue unless said: a busy chat answers 429.
 */
class ClientDisconnectTest {
    private static final String ACTIVE = "llava4j_active_requests{model=\"tiny-llava\"}";
    private static final String QUEUED = "llava4j_queue_length{model=\"tiny-llava\"}";
    private static final String CANCELLED = "llava4j_cancelled_total{model=\"tiny-llava\"}";
    /** Far more tokens than the tiny model generates in the test's time (seconds at least). */
    private static final int LONG = 4000;

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

    /**
     * Regression: a non-streamed request whose client closed ran to max_tokens, holding its
     * sequence. The client closes while the answer is being generated; the completion must stop
     * within a few tokens (a token or two in practice: the bound leaves room for a loaded
     * machine), be counted as cancelled, and leave the chat free for the next request.
     */
    @Test
    void aNonStreamedRequestWhoseClientClosesIsCancelledAndFreesItsSequence() throws Exception {
        Observed pool = new Observed(0);
        try (ServerFixture f = server(pool)) {
            Socket client = post(f, greedy("Tell me everything", LONG));
            pool.awaitGenerating();
            int before = pool.pieces.get();
            client.close();
            GenerationResult r = pool.results.poll(10, TimeUnit.SECONDS);
            assertNotNull(r, "still generating 10 s after the client closed: " + pool.pieces.get() + " pieces");
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            int after = r.generatedTokens() - before;
            assertTrue(after <= 16, after + " tokens generated after the client closed");
            await(f, CANCELLED, 1);
            await(f, ACTIVE, 0);
            assertEquals(
                    1,
                    series(
                            f.get("/metrics").body(),
                            "llava4j_requests_total{endpoint=\"/v1/chat/completions\",model=\"tiny-llava\","
                                    + "status=\"499\"}"),
                    "counted as 499, client closed request");
            assertEquals(
                    200,
                    f.post("/v1/chat/completions", greedy("my turn", 2).toString())
                            .statusCode());
        }
    }

    /** A request waiting for the busy chat leaves the queue when its client closes. */
    @Test
    void aQueuedRequestWhoseClientClosesLeavesTheQueue() throws Exception {
        Observed pool = new Observed(1);
        try (ServerFixture f = server(pool)) {
            Socket running = post(f, greedy("Tell me everything", LONG));
            pool.awaitGenerating();
            Socket waiting = post(f, greedy("And me", 2));
            await(f, QUEUED, 1);
            waiting.close();
            await(f, QUEUED, 0);
            assertEquals(1, series(f.get("/metrics").body(), CANCELLED));
            assertTrue(pool.results.isEmpty(), "the first request goes on");
            running.close();
            GenerationResult r = pool.results.poll(10, TimeUnit.SECONDS);
            assertNotNull(r, "still generating 10 s after the client closed");
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            await(f, CANCELLED, 2);
            await(f, ACTIVE, 0);
            assertEquals(
                    200,
                    f.post("/v1/chat/completions", greedy("my turn", 2).toString())
                            .statusCode());
        }
    }

    /**
     * The watch must leave a connection that stays open as Jetty has it: requests pipelined while
     * one is generating (bytes the watch sees arrive, and must not take), then one more on the
     * same connection after their answers (keep-alive), all answered in full and in order.
     */
    @Test
    void pipelinedAndKeptAliveRequestsOnOneConnectionAreAllAnswered() throws Exception {
        Observed pool = new Observed(0);
        try (ServerFixture f = server(pool);
                Socket client = post(f, greedy("Tell me about the sea", 100))) {
            pool.awaitGenerating();
            write(client, greedy("What is a fox?", 3));
            write(client, greedy("Count to ten", 4));
            InputStream in = client.getInputStream();
            for (int tokens : new int[] {100, 3, 4}) {
                assertAnswer(readResponse(in), tokens);
            }
            write(client, greedy("Once more", 5));
            assertAnswer(readResponse(in), 5);
            assertEquals(0, series(f.get("/metrics").body(), CANCELLED));
        }
    }

    /**
     * Regression: Jetty's idle timeout (30 s by default) failed a request whose connection stayed
     * silent that long, which cancelled it: every non-streamed answer, and every streamed prefill,
     * that took longer (a first question to a 7B model on a CPU does). With a 300 ms timeout, a
     * non-streamed answer whose connection stays silent for 1.2 s (the pool holds the request back
     * before answering it) is answered in full.
     */
    @Test
    void anAnswerThatTakesLongerThanTheIdleTimeoutIsAnsweredInFull() throws Exception {
        Observed pool = new Observed(0, 1200);
        ServeConfig config = ServeConfig.defaults().withIdleTimeout(Duration.ofMillis(300));
        try (ServerFixture f = new ServerFixture(List.of(), List.of(ServerFixture.MODEL), config, 1, 0)) {
            f.server.add(pool);
            long t0 = System.nanoTime();
            try (Socket client = post(f, greedy("Tell me about the sea", 20))) {
                assertAnswer(readResponse(client.getInputStream()), 20);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(seconds > 1.0, "the answer took " + seconds + " s: not longer than the idle timeout");
            assertEquals(0, series(f.get("/metrics").body(), CANCELLED));
        }
    }

    /** Asserts a whole answer: {@code tokens} tokens (its max_tokens), or fewer that end at a stop. */
    private static void assertAnswer(String body, int tokens) {
        JsonNode r = ServerFixture.parse(body);
        assertEquals("chat.completion", r.path("object").asText(), body);
        int generated = r.at("/usage/completion_tokens").asInt();
        String reason = r.at("/choices/0/finish_reason").asText();
        assertTrue(generated == tokens || (generated < tokens && reason.equals("stop")), body);
    }

    /** Opens a connection and sends {@code body} as a completion request on it. */
    private static Socket post(ServerFixture f, ObjectNode body) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(f.base.getHost(), f.base.getPort()), 10_000);
        socket.setSoTimeout(60_000);
        write(socket, body);
        return socket;
    }

    private static void write(Socket socket, ObjectNode body) throws IOException {
        byte[] json = body.toString().getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/json\r\nContent-Length: " + json.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(json);
        out.flush();
    }

    /** Reads one response with a Content-Length; its body, after asserting status 200. */
    private static String readResponse(InputStream in) throws IOException {
        String status = line(in);
        assertTrue(status.startsWith("HTTP/1.1 200 "), status);
        int length = -1;
        for (String header; !(header = line(in)).isEmpty(); ) {
            String lower = header.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(
                        header.substring("content-length:".length()).strip());
            }
        }
        assertTrue(length >= 0, "no Content-Length after " + status);
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    /** One header line, without its CRLF. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            assertTrue(b >= 0, "the connection closed mid-response");
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    /** A server answering with {@code pool} (and shutting it down). */
    private static ServerFixture server(Observed pool) {
        ServerFixture f = new ServerFixture(List.of(), List.of(ServerFixture.MODEL), ServeConfig.defaults(), 1, 0);
        f.server.add(pool);
        return f;
    }

    /** Waits until {@code series} of {@code /metrics} is {@code value} (30 s at most). */
    private static void await(ServerFixture f, String series, double value) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            String metrics = f.get("/metrics").body();
            if (series(metrics, series) == value) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + series + " " + value + ":\n" + metrics);
            Thread.sleep(5);
        }
    }

    /**
     * A pool of one chat, telling the test when a completion has generated its first piece, how
     * many pieces were generated, and what each completion returned.
     */
    private static final class Observed implements CompletionEngine {
        private final ChatPool pool;
        /** Released at each completion's first piece. */
        private final Semaphore generating = new Semaphore(0);
        /** Pieces handed on by the completions so far (none after a cancel). */
        final AtomicInteger pieces = new AtomicInteger();

        final BlockingQueue<GenerationResult> results = new LinkedBlockingQueue<>();
        /** How long each request is held back (ms) before it is answered, to make it slow. */
        private final long delayMillis;

        Observed(int maxQueue) {
            this(maxQueue, 0);
        }

        Observed(int maxQueue, long delayMillis) {
            this.delayMillis = delayMillis;
            ContextOptions big = ContextOptions.defaults()
                    .withContextLength(4096)
                    .withThreads(2)
                    .withKvType(GgmlType.F32);
            pool = new ChatPool(model, ServerFixture.MODEL, 1, big, maxQueue);
        }

        /** Waits until a completion has generated its first piece. */
        void awaitGenerating() throws InterruptedException {
            assertTrue(generating.tryAcquire(60, TimeUnit.SECONDS), "no completion started generating");
        }

        @Override
        public GenerationResult complete(
                Completion completion, GenerationListener listener, Cancellation cancellation) {
            if (delayMillis > 0) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            AtomicBoolean first = new AtomicBoolean(true);
            GenerationResult r = pool.complete(
                    completion,
                    new GenerationListener() {
                        @Override
                        public void onText(String piece) {
                            pieces.incrementAndGet();
                            if (first.getAndSet(false)) {
                                generating.release();
                            }
                            listener.onText(piece);
                        }

                        @Override
                        public void onPrefill(int done, int total) {
                            listener.onPrefill(done, total);
                        }

                        @Override
                        public void onImageEncoding(int image, int images, int done, int total) {
                            listener.onImageEncoding(image, images, done, total);
                        }
                    },
                    cancellation);
            results.add(r);
            return r;
        }

        @Override
        public ModelInfo model() {
            return pool.model();
        }

        @Override
        public EmbeddingCache.Stats imageCache() {
            return pool.imageCache();
        }

        @Override
        public int queued() {
            return pool.queued();
        }

        @Override
        public int active() {
            return pool.active();
        }

        @Override
        public void shutdown(long graceMillis) {
            pool.shutdown(graceMillis);
        }
    }
}
