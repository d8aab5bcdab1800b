package io.llava4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.llava4j.pull.HubClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code llava4j pull}: paths on stdout, progress on stderr, exit codes, and what each option does.
 * The hub is a local server serving every {@code resolve} URL with the SHA-256 of its body as
 * {@code X-Linked-ETag} (or, under {@code /plain/}, with no checksum).
 */
class PullCommandTest {
    @TempDir
    Path dir;

    HttpServer server;
    String previousEndpoint;

    static byte[] body(String path) {
        return ("content of " + path + "\n").repeat(2000).getBytes(StandardCharsets.UTF_8);
    }

    @BeforeEach
    void startHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            byte[] data = body(path);
            if (!path.contains("/plain/")) {
                ex.getResponseHeaders().add("X-Linked-ETag", "\"" + sha256(data) + "\"");
                ex.getResponseHeaders().add("X-Linked-Size", Integer.toString(data.length));
            }
            ex.sendResponseHeaders(200, ex.getRequestMethod().equals("HEAD") ? -1 : data.length);
            try (OutputStream out = ex.getResponseBody()) {
                if (!ex.getRequestMethod().equals("HEAD")) {
                    out.write(data);
                }
            }
        });
        server.start();
        previousEndpoint = System.getProperty(HubClient.ENDPOINT_PROPERTY);
        System.setProperty(
                HubClient.ENDPOINT_PROPERTY,
                "http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stopHub() {
        server.stop(0);
        if (previousEndpoint == null) {
            System.clearProperty(HubClient.ENDPOINT_PROPERTY);
        } else {
            System.setProperty(HubClient.ENDPOINT_PROPERTY, previousEndpoint);
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void pullsAPairIntoTheCacheDirWithPathsOnStdoutAndProgressOnStderr() throws IOException {
        Path cache = dir.resolve("models");
        CliRunner.Result r = CliRunner.run("pull", "--cache-dir", cache.toString(), "llava-1.6-mistral-7b:q8_0");
        assertEquals(0, r.exitCode(), r.err());
        Path lm = cache.resolve("cjpais/llava-1.6-mistral-7b-gguf/llava-v1.6-mistral-7b.Q8_0.gguf");
        Path mm = cache.resolve("cjpais/llava-1.6-mistral-7b-gguf/mmproj-model-f16.gguf");
        assertArrayEquals(
                body("/cjpais/llava-1.6-mistral-7b-gguf/resolve/main/llava-v1.6-mistral-7b.Q8_0.gguf"),
                Files.readAllBytes(lm));
        assertTrue(r.out().contains(lm + "  ") && r.out().contains(mm + "  "), r.out());
        assertTrue(r.out().contains("sha256 "), r.out());
        assertTrue(r.out().contains("pair llava-1.6-mistral-7b:q8_0: -m " + lm + " --mmproj " + mm), r.out());
        assertTrue(
                r.err().contains("llava-v1.6-mistral-7b.Q8_0.gguf [") && r.err().contains("100%"), r.err());

        CliRunner.Result again = CliRunner.run("pull", "--cache-dir", cache.toString(), "llava-1.6-mistral-7b:q8_0");
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.out().contains("(already downloaded)"), again.out());

        CliRunner.Result list = CliRunner.run("pull", "--list", "--cache-dir", cache.toString());
        assertEquals(0, list.exitCode(), list.err());
        assertTrue(
                list.out().contains("llava-1.6-mistral-7b:q8_0") && list.out().contains("[downloaded]"), list.out());
        assertTrue(list.out().lines().filter(l -> l.contains("[downloaded]")).count() == 1, list.out());
    }

    @Test
    void listShowsTheCatalogueWithDefaultsWithoutNetwork() {
        server.stop(0);
        CliRunner.Result r = CliRunner.run("pull", "--list", "--cache-dir", dir.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("llava-1.5-7b:q4_k") && r.out().contains("[default]"), r.out());
        assertTrue(r.out().contains("hf://mys/ggml_llava-v1.5-7b/mmproj-model-f16.gguf (mmproj)"), r.out());
        assertFalse(r.out().contains("[downloaded]"), r.out());
    }

    @Test
    void noVerifyAcceptsAFileWithoutChecksum() {
        String ref = "hf://someone/repo/plain/x.gguf";
        CliRunner.Result refused = CliRunner.run("pull", "--cache-dir", dir.toString(), ref);
        assertEquals(1, refused.exitCode());
        assertTrue(refused.err().contains("publishes no SHA-256"), refused.err());

        CliRunner.Result accepted = CliRunner.run("pull", "--no-verify", "--cache-dir", dir.toString(), ref);
        assertEquals(0, accepted.exitCode(), accepted.err());
        assertTrue(accepted.out().contains("(not verified: no checksum published)"), accepted.out());
        assertTrue(
                accepted.err()
                        .contains("x.gguf  " + Sizes.bytes(body("/someone/repo/resolve/main/plain/x.gguf").length)),
                "size unknown in advance: the bar shows the bytes at the end: " + accepted.err());
        assertTrue(Files.exists(dir.resolve("someone/repo/plain/x.gguf")));
    }

    @Test
    void offlineUnknownNameAndMissingNameAreErrorsWithTheRightExitCode() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        System.setProperty(HubClient.ENDPOINT_PROPERTY, "http://127.0.0.1:" + port);
        CliRunner.Result offline = CliRunner.run("pull", "--cache-dir", dir.toString(), "llava-1.5-7b");
        assertEquals(1, offline.exitCode());
        assertTrue(offline.err().contains("error: cannot reach 127.0.0.1"), offline.err());
        assertEquals("", offline.out());

        CliRunner.Result unknown = CliRunner.run("pull", "--cache-dir", dir.toString(), "llava-42");
        assertEquals(1, unknown.exitCode());
        assertTrue(unknown.err().contains("known models: llava-1.5-7b"), unknown.err());

        CliRunner.Result missing = CliRunner.run("pull");
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().contains("Missing NAME"), missing.err());
    }
}
