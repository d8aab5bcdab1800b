package io.llava4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llava4j.serve.ServeConfig;
import io.llava4j.testmodels.TinyModels;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code llava4j serve} as a process: start-up line, options, and a clean stop on SIGTERM. */
class ServeCommandTest {
    @TempDir
    Path dir;

    @Test
    void badOptionsAreUsageErrors() {
        for (List<String> args : List.of(
                List.of("serve", "--parallel", "0"),
                List.of("serve", "--max-queue", "-1"),
                List.of("serve", "--max-body", "lots"),
                List.of("serve", "--port", "70000"),
                List.of("serve", "--idle-timeout", "0"),
                List.of("serve", "--idle-timeout", "0.1ms"),
                List.of("serve", "--idle-timeout", "-5s"),
                List.of("serve", "--idle-timeout", "soon"),
                List.of("serve", "--idle-timeout", "5 minutes"))) {
            CliRunner.Result r = CliRunner.run(args.toArray(String[]::new));
            assertEquals(2, r.exitCode(), args + ": " + r.err());
        }
    }

    @Test
    void durationsAreANumberAndAUnitSecondsByDefault() {
        assertEquals(Duration.ofSeconds(30), DurationArg.parse("30s"));
        assertEquals(Duration.ofSeconds(45), DurationArg.parse("45"));
        assertEquals(Duration.ofMillis(500), DurationArg.parse("500ms"));
        assertEquals(Duration.ofMillis(1500), DurationArg.parse("1.5s"));
        assertEquals(Duration.ofMinutes(2), DurationArg.parse(" 2M "));
        assertEquals(Duration.ofHours(1), DurationArg.parse("1h"));
        CliRunner.Result help = CliRunner.run("serve", "--help");
        assertTrue(help.out().contains("--idle-timeout=DURATION"), help.out());
        // the help's default is the server's own
        assertTrue(help.out().replaceAll("\\s+", " ").contains("(default: 30s)"), help.out());
        assertEquals(ServeConfig.DEFAULT_IDLE_TIMEOUT, DurationArg.parse("30s"));
    }

    @Test
    void aFurtherModelIsLmThenMmprojThenAnAlias() {
        assertEquals(new ServedModelArg("b.gguf", null, null), ServedModelArg.parse("b.gguf"));
        assertEquals(new ServedModelArg("b.gguf", "mm.gguf", "bee"), ServedModelArg.parse("b.gguf, mm.gguf,alias=bee"));
        assertEquals(
                new ServedModelArg("llava-1.5-7b:q5_k", null, "l7"),
                ServedModelArg.parse("llava-1.5-7b:q5_k,alias=l7"));
        for (String bad : List.of(
                "", "alias=x", "a.gguf,b.gguf,c.gguf", "a.gguf,,b.gguf", "a.gguf,alias=", "a,alias=x,alias=y")) {
            CliRunner.Result r = CliRunner.run("serve", "--serve", bad);
            assertEquals(2, r.exitCode(), bad + ": " + r.err());
            assertTrue(r.err().contains("--serve"), r.err());
        }
    }

    /** Two models that would share an id are refused before anything is loaded, naming both files. */
    @Test
    void modelIdsMustBeUnique() {
        String a = dir.resolve("a/lm.gguf").toString();
        String b = dir.resolve("b/lm.gguf").toString();
        CliRunner.Result r = CliRunner.run("serve", "-m", a, "--serve", b);
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("'lm'") && r.err().contains(a) && r.err().contains(b), r.err());
        // with an alias the two ids differ: it goes on to load the (missing) files
        CliRunner.Result renamed = CliRunner.run("serve", "--port", "0", "-m", a, "--serve", b + ",alias=lm2");
        assertEquals(1, renamed.exitCode(), renamed.err());
        assertFalse(renamed.err().contains("would be served as"), renamed.err());

        CliRunner.Result alias = CliRunner.run("serve", "--alias", "x", "--serve", b);
        assertEquals(2, alias.exitCode(), alias.err());
        assertTrue(alias.err().contains("alias=ID"), alias.err());
    }

    @Test
    void modelIdIsTheFileNameWithoutGguf() {
        assertEquals("llava-v1.5-7b.Q4_K_M", ServeCommand.modelId("llava-v1.5-7b.Q4_K_M.gguf"));
        assertEquals("model.bin", ServeCommand.modelId("model.bin"));
    }

    /**
     * The real command in a child JVM: it prints the address it chose for {@code --port 0} once
     * both models are loaded, serves the {@code --model} under {@code --alias} and the
     * {@code --serve} one under its {@code alias=}, behind {@code --api-key}; each request is
     * answered by the model it names; and it exits on SIGTERM after closing its chats and models
     * (no stack trace, within the grace period).
     */
    @Test
    void servesSeveralModelsUntilSigterm() throws Exception {
        TinyModels.Pair pair = TinyModels.llava15(dir.resolve("m"), 5);
        TinyModels.Pair other = TinyModels.llava15(dir.resolve("n"), 9);
        Path err = dir.resolve("err.txt");
        Process p = serve(
                err,
                "-m",
                pair.lm().toString(),
                "--mmproj",
                pair.mmproj().toString(),
                "--port",
                "0",
                "--ctx",
                "512",
                "-t",
                "2",
                "--parallel",
                "1",
                "--alias",
                "tiny",
                "--serve",
                other.lm() + "," + other.mmproj() + ",alias=other",
                "--api-key",
                "k3y");
        try {
            URI base = awaitListening(p, err);
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> models = client.send(
                    HttpRequest.newBuilder(base.resolve("/v1/models"))
                            .header("Authorization", "Bearer k3y")
                            .timeout(Duration.ofSeconds(30))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, models.statusCode(), models.body());
            JsonNode list = new ObjectMapper().readTree(models.body()).get("data");
            assertEquals(2, list.size(), models.body());
            for (int i = 0; i < 2; i++) {
                assertEquals(
                        List.of("tiny", "other").get(i), list.get(i).get("id").asText());
                assertEquals(512, list.get(i).get("context_length").asInt(), "--ctx applies to every model");
            }
            HttpResponse<String> noKey = client.send(
                    HttpRequest.newBuilder(base.resolve("/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, noKey.statusCode());
            List<String> answers = new ArrayList<>();
            for (String model : List.of("tiny", "other")) {
                HttpResponse<String> answer = complete(client, base, "\"model\":\"" + model + "\",");
                assertEquals(200, answer.statusCode(), answer.body());
                JsonNode r = new ObjectMapper().readTree(answer.body());
                assertEquals(model, r.get("model").asText());
                answers.add(r.at("/choices/0/message/content").asText());
            }
            assertNotEquals(answers.get(0), answers.get(1), "two weights, two greedy answers");
            assertEquals(400, complete(client, base, "").statusCode(), "which model, of two?");

            assertTrue(Files.readString(err).contains("loading other"), Files.readString(err));
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running after SIGTERM");
            String stderr = Files.readString(err);
            assertFalse(stderr.contains("Exception"), stderr);
            assertTrue(p.exitValue() == 0 || p.exitValue() == 143, "exit " + p.exitValue() + "\n" + stderr);
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * {@code --idle-timeout} and {@code --system} reach the server: a request without a system
     * message is answered as one that sends the {@code --system} text, while a request's own
     * system message replaces it; and a connection that sends nothing is closed after the 2 s
     * given (the default waits 30 s). Not much less than 2 s: on a loaded machine the JDK's client
     * has been seen to send a first request's body over 500 ms after its headers, which a 500 ms
     * timeout refuses.
     */
    @Test
    void idleTimeoutAndSystemPromptReachTheServer() throws Exception {
        TinyModels.Pair pair = TinyModels.llava15(dir.resolve("m"), 5);
        String system = "Answer like a pirate.";
        Path err = dir.resolve("err.txt");
        Process p = serve(
                err,
                "-m",
                pair.lm().toString(),
                "--mmproj",
                pair.mmproj().toString(),
                "--port",
                "0",
                "--ctx",
                "512",
                "-t",
                "2",
                "--parallel",
                "1",
                "--kv-type",
                "f32",
                "--alias",
                "tiny",
                "--api-key",
                "k3y",
                "--idle-timeout",
                "2s",
                "--system",
                system);
        try {
            URI base = awaitListening(p, err);
            HttpClient client = HttpClient.newHttpClient();
            JsonNode implicit = answer(client, base, "");
            JsonNode spelledOut = answer(client, base, system);
            assertEquals(
                    spelledOut.at("/usage/prompt_tokens").asInt(),
                    implicit.at("/usage/prompt_tokens").asInt(),
                    implicit.toString());
            assertEquals(
                    spelledOut.at("/choices/0/message/content").asText(),
                    implicit.at("/choices/0/message/content").asText());
            JsonNode own = answer(client, base, "You are a helpful assistant who answers in one short sentence.");
            assertNotEquals(
                    implicit.at("/usage/prompt_tokens").asInt(),
                    own.at("/usage/prompt_tokens").asInt(),
                    "the request's own system message replaces --system");

            try (Socket silent = new Socket(base.getHost(), base.getPort())) {
                silent.setSoTimeout(20_000);
                long t0 = System.nanoTime();
                assertEquals(-1, silent.getInputStream().read(), "the server closes a silent connection");
                double seconds = (System.nanoTime() - t0) / 1e9;
                assertTrue(seconds >= 1.5 && seconds < 15, "closed after " + seconds + " s");
            }
        } finally {
            p.destroyForcibly();
        }
    }

    /** Starts {@code llava4j serve ARGS} in a child JVM, its stderr to {@code err}. */
    private static Process serve(Path err, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                Main.class.getName(),
                "serve"));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectError(err.toFile()).start();
    }

    /** Reads the {@code listening on URI} line a started server prints; the URI. */
    private static URI awaitListening(Process p, Path err) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertTrue(
                line != null && line.matches("listening on http://127\\.0\\.0\\.1:\\d+"),
                line + "\n" + Files.readString(err));
        return URI.create(line.substring("listening on ".length()));
    }

    /** The JSON of a greedy answer to "hi" after {@code system} as a system message (none if empty). */
    private static JsonNode answer(HttpClient client, URI base, String system) throws Exception {
        String messages = (system.isEmpty() ? "" : "{\"role\":\"system\",\"content\":\"" + system + "\"},")
                + "{\"role\":\"user\",\"content\":\"hi\"}";
        HttpResponse<String> r = client.send(
                HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                        .header("Authorization", "Bearer k3y")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"messages\":[" + messages + "],\"max_tokens\":6,\"temperature\":0}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return new ObjectMapper().readTree(r.body());
    }

    /** A greedy completion of "hi"; {@code model} is the field (with its comma) or empty. */
    private static HttpResponse<String> complete(HttpClient client, URI base, String model) throws Exception {
        return client.send(
                HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                        .header("Authorization", "Bearer k3y")
                        .POST(HttpRequest.BodyPublishers.ofString("{" + model
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":6,"
                                + "\"temperature\":0}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
