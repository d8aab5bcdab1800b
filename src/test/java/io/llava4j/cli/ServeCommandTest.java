package io.llava4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llava4j.testmodels.TinyModels;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
                List.of("serve", "--port", "70000"))) {
            CliRunner.Result r = CliRunner.run(args.toArray(String[]::new));
            assertEquals(2, r.exitCode(), args + ": " + r.err());
        }
    }

    @Test
    void modelIdIsTheFileNameWithoutGguf() {
        assertEquals("llava-v1.5-7b.Q4_K_M", ServeCommand.modelId("llava-v1.5-7b.Q4_K_M.gguf"));
        assertEquals("model.bin", ServeCommand.modelId("model.bin"));
    }

    /**
     * The real command in a child JVM: it prints the address it chose for {@code --port 0}, serves
     * the model under {@code --alias} behind {@code --api-key}, and exits on SIGTERM after closing
     * its chats and model (no stack trace, within the grace period).
     */
    @Test
    void servesUntilSigterm() throws Exception {
        TinyModels.Pair pair = TinyModels.llava15(dir.resolve("m"), 5);
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
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
                        "512",
                        "-t",
                        "2",
                        "--parallel",
                        "1",
                        "--alias",
                        "tiny",
                        "--api-key",
                        "k3y")
                .redirectError(err.toFile())
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertTrue(
                    line != null && line.matches("listening on http://127\\.0\\.0\\.1:\\d+"),
                    line + "\n" + Files.readString(err));
            URI base = URI.create(line.substring("listening on ".length()));
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> models = client.send(
                    HttpRequest.newBuilder(base.resolve("/v1/models"))
                            .header("Authorization", "Bearer k3y")
                            .timeout(Duration.ofSeconds(30))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, models.statusCode(), models.body());
            JsonNode m = new ObjectMapper().readTree(models.body()).at("/data/0");
            assertEquals("tiny", m.get("id").asText());
            assertEquals(512, m.get("context_length").asInt());
            HttpResponse<String> noKey = client.send(
                    HttpRequest.newBuilder(base.resolve("/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, noKey.statusCode());
            HttpResponse<String> answer = client.send(
                    HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                            .header("Authorization", "Bearer k3y")
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, answer.statusCode(), answer.body());

            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running after SIGTERM");
            String stderr = Files.readString(err);
            assertFalse(stderr.contains("Exception"), stderr);
            assertTrue(p.exitValue() == 0 || p.exitValue() == 143, "exit " + p.exitValue() + "\n" + stderr);
        } finally {
            p.destroyForcibly();
        }
    }
}
