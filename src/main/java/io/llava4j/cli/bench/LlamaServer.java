package io.llava4j.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * llama.cpp's {@code llama-server}, started once per stream count with {@code -np} slots on loopback,
 * and rounds of concurrent streamed chat completions sent to it: the compared side of the bench's
 * streams scenario. Each round sends the same question about the same image (a data URI) from
 * {@code count} threads at once, with {@code stream_options.include_usage}, and notes when each
 * stream's first text and its end arrive; the generated tokens are the server's {@code usage}.
 */
public final class LlamaServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long POLL_MILLIS = 100;

    private final Process process;
    private final Path log;
    private final URI base;
    private final HttpClient http;
    private final String tool;

    private LlamaServer(Process process, Path log, URI base, String tool) {
        this.process = process;
        this.log = log;
        this.base = base;
        this.tool = tool;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    /**
     * Starts the server on a free loopback port and waits until its {@code /health} answers 200.
     *
     * @param tool the {@code llama-server} executable
     * @param args its arguments apart from host and port (model, mmproj, slots, context, threads)
     * @param timeoutSeconds how long loading may take
     * @throws Llava4jException {@code IO} if it cannot be started, {@code NATIVE} if it exits or does
     *     not become healthy in time (with the end of its output)
     */
    public static LlamaServer start(Path tool, List<String> args, long timeoutSeconds) {
        Path log = null;
        Process p = null;
        try {
            log = Files.createTempFile("llava4j-bench-server", ".log");
            int port = freePort();
            List<String> cmd = new ArrayList<>();
            cmd.add(tool.toString());
            cmd.addAll(args);
            cmd.addAll(List.of("--host", "127.0.0.1", "--port", Integer.toString(port)));
            p = MtmdCli.toolProcess(cmd, log).start();
            LlamaServer server = new LlamaServer(
                    p,
                    log,
                    URI.create("http://127.0.0.1:" + port),
                    tool.getFileName().toString());
            server.awaitHealthy(timeoutSeconds);
            return server;
        } catch (IOException e) {
            destroy(p);
            throw new Llava4jException(Code.IO, "cannot start " + tool + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            destroy(p);
            Thread.currentThread().interrupt();
            throw new Llava4jException(Code.CANCELLED, "interrupted while " + tool.getFileName() + " loaded", e);
        } catch (RuntimeException e) {
            destroy(p);
            throw e;
        }
    }

    private void awaitHealthy(long timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        HttpRequest health = HttpRequest.newBuilder(base.resolve("/health"))
                .timeout(Duration.ofSeconds(10))
                .build();
        while (true) {
            if (!process.isAlive()) {
                throw failure(tool + " exited with status " + process.exitValue() + " while loading");
            }
            try {
                if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (ConnectException e) {
                // not listening yet
            } catch (IOException e) {
                // loading: it may drop connections
            }
            if (System.nanoTime() > deadline) {
                throw failure(tool + " was not ready after " + timeoutSeconds + " s");
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /**
     * One round: {@code count} streamed requests at once, each asking {@code prompt} about the image.
     *
     * @param image the picture's bytes
     * @param mime its media type (image/png, image/jpeg)
     * @param system the system prompt, or null for the template's
     * @param maxTokens the token limit of each answer
     * @throws Llava4jException {@code NATIVE} when a request fails (with the end of the server's output)
     */
    public StreamsSample round(int count, byte[] image, String mime, String prompt, String system, int maxTokens)
            throws InterruptedException {
        byte[] body = requestBody(image, mime, prompt, system, maxTokens);
        return StreamsRound.run(count, maxTokens, "bench-server-stream", (k, clock) -> stream(body, clock));
    }

    /** Sends one streamed request and reads its events; returns the generated tokens (usage). */
    private int stream(byte[] body, PieceClock pieces) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<Stream<String>> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            throw failure("a request to " + tool + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Llava4jException(Code.CANCELLED, "interrupted", e);
        }
        try (Stream<String> lines = response.body()) {
            if (response.statusCode() != 200) {
                throw failure(tool + " answered " + response.statusCode() + ": "
                        + String.join("\n", lines.limit(20).toList()));
            }
            int completion = -1;
            Iterator<String> it = lines.iterator();
            while (it.hasNext()) {
                String line = it.next();
                if (!line.startsWith("data:")) {
                    continue;
                }
                String data = line.substring(5).strip();
                if (data.equals("[DONE]")) {
                    break;
                }
                JsonNode event = JSON.readTree(data);
                JsonNode content = event.path("choices").path(0).path("delta").path("content");
                if (content.isTextual() && !content.asText().isEmpty()) {
                    pieces.piece();
                }
                JsonNode usage = event.path("usage").path("completion_tokens");
                if (usage.isInt()) {
                    completion = usage.asInt();
                }
            }
            if (completion < 0) {
                throw failure(tool + "'s stream ended without usage");
            }
            return completion;
        } catch (IOException e) {
            throw failure("reading " + tool + "'s stream failed: " + e);
        } catch (UncheckedIOException e) {
            throw failure("reading " + tool + "'s stream failed: " + e.getCause());
        }
    }

    private static byte[] requestBody(byte[] image, String mime, String prompt, String system, int maxTokens) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode messages = root.putArray("messages");
        if (system != null) {
            messages.addObject().put("role", "system").put("content", system);
        }
        ObjectNode user = messages.addObject().put("role", "user");
        ArrayNode parts = user.putArray("content");
        parts.addObject()
                .put("type", "image_url")
                .putObject("image_url")
                .put("url", "data:" + mime + ";base64," + Base64.getEncoder().encodeToString(image));
        parts.addObject().put("type", "text").put("text", prompt);
        root.put("temperature", 0);
        root.put("max_tokens", maxTokens);
        root.put("stream", true);
        root.putObject("stream_options").put("include_usage", true);
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Llava4jException failure(String message) {
        return new Llava4jException(Code.NATIVE, message + "; its output ends:\n" + tail());
    }

    private String tail() {
        try {
            return MtmdCli.tail(Files.readString(log, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return "(its log " + log + " cannot be read: " + e.getMessage() + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void destroy(Process p) {
        if (p != null) {
            p.destroyForcibly();
        }
    }

    /** Stops the server (SIGTERM, then SIGKILL after 10 s) and deletes its log. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                // a temporary file
            }
        }
    }
}
