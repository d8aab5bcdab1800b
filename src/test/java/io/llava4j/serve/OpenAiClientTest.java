package io.llava4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.testmodels.TinyModels;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official {@code openai} npm client (the version pinned in {@code
 * src/test/resources/openai-client/package.json}, installed with npm into {@code
 * target/openai-client}) against a running server on a generated pair: a whole and a streamed
 * answer, a data-URI image and an http URL served by this test, two turns where the second reuses
 * the first's positions, and the error statuses the client sees. Needs {@code node} and {@code npm}
 * (the build needs them already) and the npm registry on the first run.
 */
class OpenAiClientTest {
    static final String KEY = "client-test-key";

    @TempDir
    static Path dir;

    @Test
    void theOfficialClientTalksToTheServer() throws Exception {
        Path client = installClient();
        byte[] png = ServerFixture.png(5);
        Path pngFile = dir.resolve("gradient.png");
        Files.write(pngFile, png);
        HttpServer images = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        images.createContext("/gradient.png", ex -> {
            ex.getResponseHeaders().add("Content-Type", "image/png");
            ex.sendResponseHeaders(200, png.length);
            ex.getResponseBody().write(png);
            ex.close();
        });
        images.start();
        TinyModels.Pair pair = TinyModels.llava15(dir, 41);
        ServeConfig config =
                ServeConfig.defaults().withApiKey(KEY).withMaxBodyBytes(2 << 20).withAllowLocalUrls(true);
        try (LlavaModel model = LlavaModel.open(pair.lm(), pair.mmproj());
                ServerFixture server = new ServerFixture(model, config, 2, 8)) {
            String imageUrl = "http://127.0.0.1:" + images.getAddress().getPort() + "/gradient.png";
            JsonNode out = ServerFixture.parse(node(
                    client,
                    server.base.resolve("/v1").toString(),
                    KEY,
                    ServerFixture.MODEL,
                    pngFile.toString(),
                    imageUrl));

            JsonNode plain = out.get("plain");
            assertEquals("chat.completion", plain.get("object").asText());
            assertEquals("assistant", plain.get("role").asText());
            assertTrue(List.of("stop", "length").contains(plain.get("finish").asText()), plain.toString());
            String answer = plain.get("content").asText();
            assertTrue(!answer.isEmpty(), plain.toString());
            JsonNode usage = plain.get("usage");
            assertTrue(usage.get("prompt_tokens").asInt() > 576, "the image's positions count: " + usage);
            assertEquals(
                    usage.get("prompt_tokens").asInt()
                            + usage.get("completion_tokens").asInt(),
                    usage.get("total_tokens").asInt());

            JsonNode stream = out.get("stream");
            assertEquals(answer, stream.get("content").asText(), "streamed and whole answers agree at temperature 0");
            assertEquals(
                    List.of("assistant"), List.of(stream.get("roles").get(0).asText()));
            assertEquals(1, stream.get("roles").size());
            assertEquals(plain.get("finish").asText(), stream.get("finish").asText());
            assertEquals(usage, stream.get("usage"));

            assertEquals(answer, out.get("url").get("content").asText(), "the same picture by URL");

            JsonNode followUp = out.get("followUp");
            assertTrue(
                    followUp.get("timings").get("reused_positions").asInt() > 576,
                    "the second turn reuses the first's positions: " + followUp);

            assertEquals(400, out.get("unknownModel").get("status").asInt(), out.toString());
            assertEquals(400, out.get("brokenBase64").get("status").asInt(), out.toString());
            assertEquals(413, out.get("oversized").get("status").asInt(), out.toString());
            assertEquals(401, out.get("wrongKey").get("status").asInt(), out.toString());
            assertEquals(ServerFixture.MODEL, out.get("models").get(0).asText());
        } finally {
            images.stop(0);
        }
    }

    /** Copies the client's package into target/openai-client and installs it there (npm's cache helps). */
    static Path installClient() throws Exception {
        Path target = Path.of("target", "openai-client").toAbsolutePath();
        Files.createDirectories(target);
        for (String name : List.of("package.json", "check.mjs")) {
            try (InputStream in = OpenAiClientTest.class.getResourceAsStream("/openai-client/" + name)) {
                Files.write(target.resolve(name), in.readAllBytes());
            }
        }
        if (!Files.isDirectory(target.resolve("node_modules/openai"))) {
            String log = run(target, 300, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error");
            assertTrue(Files.isDirectory(target.resolve("node_modules/openai")), "npm install failed:\n" + log);
        }
        return target;
    }

    static String node(Path client, String... args) throws Exception {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "node";
        cmd[1] = "check.mjs";
        System.arraycopy(args, 0, cmd, 2, args.length);
        return run(client, 300, cmd);
    }

    /** Runs a command in {@code dir}; its stdout, or a failure with stdout and stderr. */
    static String run(Path dir, int seconds, String... cmd) throws IOException, InterruptedException {
        Path err = Files.createTempFile(OpenAiClientTest.dir, "stderr", ".txt");
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectError(err.toFile())
                .start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), String.join(" ", cmd) + " did not end");
        String stdout = new String(out, StandardCharsets.UTF_8);
        assertEquals(
                0,
                p.exitValue(),
                String.join(" ", cmd) + " failed:\n" + stdout + "\n" + Files.readString(err, StandardCharsets.UTF_8));
        return stdout;
    }
}
