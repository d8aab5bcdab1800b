package io.llava4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llava4j.cli.Main;
import io.llava4j.testmodels.TinyModels;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scale-out recipe of the README, run: two {@code serve} processes behind Debian's nginx with
 * {@code hash $http_x_session_id consistent}, on loopback. Each session's second turn lands on the
 * server that holds its first and reuses all of it; after one server is killed ({@code kill -9})
 * in the middle of a stream, only that stream fails and every session is served by the other.
 * Needs {@code nginx} ({@code .ci/run} installs {@code nginx-light}); {@code -Dllava4j.nginx}
 * names another binary.
 */
class NginxScaleOutTest {
    static final int SESSIONS = 16;
    static final String ACTIVE = "llava4j_active_requests\\{model=\"" + ServerFixture.MODEL + "\"\\}";

    @TempDir
    static Path dir;

    @Test
    void sessionsStayOnTheirServerAndSurviveTheLossOfOne() throws Exception {
        String nginx = System.getProperty("llava4j.nginx", "/usr/sbin/nginx");
        assertTrue(new File(nginx).canExecute(), "this test needs nginx (apt-get install nginx-light): " + nginx);
        TinyModels.Pair pair = TinyModels.llava15(dir.resolve("m"), 11);
        List<Process> processes = new ArrayList<>();
        try {
            Backend a = Backend.start(pair, dir.resolve("a.err"), processes);
            Backend b = Backend.start(pair, dir.resolve("b.err"), processes);
            int port = freePort();
            Path conf = writeConfig(port, a.base, b.base);
            processes.add(new ProcessBuilder(nginx, "-p", dir.toString(), "-c", conf.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("nginx.out").toFile())
                    .start());
            URI lb = URI.create("http://127.0.0.1:" + port);
            awaitUp(lb);

            // two turns per session: the second reuses the whole first prompt, so it hit the same server
            List<ObjectNode> histories = new ArrayList<>();
            for (int s = 0; s < SESSIONS; s++) {
                ObjectNode body = ServerFixture.greedy("Session " + s + ": tell me about foxes.", 4);
                JsonNode first = complete(lb, "s" + s, body);
                body.withArray("messages")
                        .addObject()
                        .put("role", "assistant")
                        .put("content", first.at("/choices/0/message/content").asText());
                body.withArray("messages").addObject().put("role", "user").put("content", "And wolves?");
                JsonNode second = complete(lb, "s" + s, body);
                assertTrue(
                        second.at("/timings/reused_positions").asInt()
                                >= first.at("/timings/prompt_positions").asInt(),
                        "session " + s + " came back to its server: " + first.get("timings") + " then "
                                + second.get("timings"));
                histories.add(body);
            }
            int onA = completions(a.base);
            int onB = completions(b.base);
            assertEquals(2 * SESSIONS, onA + onB);
            assertTrue(onA > 0 && onB > 0, "sessions spread over both servers: " + onA + " and " + onB);

            // a long stream on one server; that server is killed while it streams
            ObjectNode longOne =
                    ServerFixture.greedy("Talk for a long time.", 100_000).put("stream", true);
            CompletableFuture<HttpResponse<String>> doomed = ServerFixture.CLIENT.sendAsync(
                    HttpRequest.newBuilder(lb.resolve("/v1/chat/completions"))
                            .header("X-Session-Id", "long")
                            .timeout(Duration.ofSeconds(120))
                            .POST(HttpRequest.BodyPublishers.ofString(longOne.toString()))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            Backend busy = awaitActive(a, b);
            busy.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            String failed;
            try {
                HttpResponse<String> r = doomed.get(120, TimeUnit.SECONDS);
                failed = r.statusCode() + " " + r.body();
                assertFalse(
                        r.statusCode() == 200 && r.body().contains("data: [DONE]"), "the lost stream ended cleanly?");
            } catch (java.util.concurrent.ExecutionException e) {
                failed = e.getCause().toString(); // the connection ended mid-stream: the client sees an error
            }
            assertFalse(failed.isEmpty());

            // every session is served again, by the server that is left
            Backend left = busy == a ? b : a;
            int before = completions(left.base);
            for (int s = 0; s < SESSIONS; s++) {
                JsonNode r = complete(lb, "s" + s, histories.get(s));
                assertFalse(r.at("/choices/0/message/content").isMissingNode());
            }
            assertEquals(before + SESSIONS, completions(left.base));
        } finally {
            for (Process p : processes) {
                p.destroyForcibly();
            }
        }
    }

    /** One {@code serve} child process and the address it printed. */
    record Backend(Process process, URI base) {
        static Backend start(TinyModels.Pair pair, Path err, List<Process> processes) throws IOException {
            Process p = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-cp",
                            System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                            Main.class.getName(),
                            "serve",
                            "-m",
                            pair.lm().toString(),
                            "--mmproj",
                            pair.mmproj().toString(),
                            "--port",
                            "0",
                            "--ctx",
                            "1024",
                            "-t",
                            "1",
                            "--parallel",
                            "2",
                            "--kv-type",
                            "f32",
                            "--alias",
                            ServerFixture.MODEL)
                    .redirectError(err.toFile())
                    .start();
            processes.add(p);
            String line =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertTrue(line != null && line.startsWith("listening on http://"), line + "\n" + Files.readString(err));
            return new Backend(p, URI.create(line.substring("listening on ".length())));
        }
    }

    static Path writeConfig(int port, URI a, URI b) throws IOException {
        Path conf = dir.resolve("nginx.conf");
        Files.createDirectories(dir.resolve("logs"));
        String tmp = dir.resolve("tmp").toString();
        Files.createDirectories(Path.of(tmp));
        Files.writeString(
                conf,
                String.join(
                        "\n",
                        "daemon off;",
                        "worker_processes 1;",
                        "pid " + dir.resolve("nginx.pid") + ";",
                        "error_log " + dir.resolve("logs/error.log") + " warn;",
                        "events { worker_connections 256; }",
                        "http {",
                        "  access_log off;",
                        "  client_body_temp_path " + tmp + "/body;",
                        "  proxy_temp_path " + tmp + "/proxy;",
                        "  fastcgi_temp_path " + tmp + "/fastcgi;",
                        "  uwsgi_temp_path " + tmp + "/uwsgi;",
                        "  scgi_temp_path " + tmp + "/scgi;",
                        "  client_max_body_size 32m;",
                        "  client_body_buffer_size 32m;",
                        "  upstream llava4j {",
                        "    hash $http_x_session_id consistent;",
                        "    server " + a.getHost() + ":" + a.getPort() + " max_fails=1 fail_timeout=30s;",
                        "    server " + b.getHost() + ":" + b.getPort() + " max_fails=1 fail_timeout=30s;",
                        "  }",
                        "  server {",
                        "    listen 127.0.0.1:" + port + ";",
                        "    location / {",
                        "      proxy_pass http://llava4j;",
                        "      proxy_http_version 1.1;",
                        "      proxy_set_header Connection \"\";",
                        "      proxy_buffering off;",
                        "      proxy_read_timeout 300s;",
                        "      proxy_next_upstream error timeout;",
                        "    }",
                        "  }",
                        "}",
                        ""));
        dir.toFile().setWritable(true, false);
        return conf;
    }

    static JsonNode complete(URI lb, String session, ObjectNode body) {
        HttpResponse<String> r = ServerFixture.send(HttpRequest.newBuilder(lb.resolve("/v1/chat/completions"))
                .header("X-Session-Id", session)
                .timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build());
        assertEquals(200, r.statusCode(), r.body());
        return ServerFixture.parse(r.body());
    }

    /** Completions a backend answered (its /metrics). */
    static int completions(URI backend) {
        return (int) metric(
                backend,
                "llava4j_requests_total\\{endpoint=\"/v1/chat/completions\",model=\"" + ServerFixture.MODEL
                        + "\",status=\"200\"\\}");
    }

    static double metric(URI backend, String series) {
        String text = ServerFixture.send(HttpRequest.newBuilder(backend.resolve("/metrics"))
                        .timeout(Duration.ofSeconds(30))
                        .build())
                .body();
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    static Backend awaitActive(Backend a, Backend b) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            if (metric(a.base, ACTIVE) > 0) {
                return a;
            }
            if (metric(b.base, ACTIVE) > 0) {
                return b;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the long stream never started");
    }

    static void awaitUp(URI lb) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            try {
                if (ServerFixture.send(HttpRequest.newBuilder(lb.resolve("/health"))
                                        .timeout(Duration.ofSeconds(5))
                                        .build())
                                .statusCode()
                        == 200) {
                    return;
                }
            } catch (RuntimeException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("nginx did not come up: see " + dir.resolve("logs/error.log"));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
