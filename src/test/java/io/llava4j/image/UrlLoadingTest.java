package io.llava4j.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** URL loading against a local HTTP server on 127.0.0.1 (no other network is used). */
class UrlLoadingTest {
    private static HttpServer server;
    private static String base;
    private static final byte[] PNG = PilFixtures.bytes("decode/rgb.png");

    @BeforeAll
    static void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/rgb.png", ex -> {
            ex.getResponseHeaders().add("Content-Type", "image/png");
            ex.sendResponseHeaders(200, PNG.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(PNG);
            }
        });
        server.createContext("/chunked.png", ex -> { // no Content-Length: the limit applies while streaming
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(PNG);
            }
        });
        server.createContext("/moved", ex -> {
            ex.getResponseHeaders().add("Location", base + "/rgb.png");
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        server.createContext("/missing.png", ex -> {
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        server.createContext("/slow.png", ex -> {
            ex.sendResponseHeaders(200, PNG.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(PNG, 0, 10);
                out.flush();
                Thread.sleep(3000);
                out.write(PNG, 10, PNG.length - 10);
            } catch (Exception e) {
                // client gave up
            }
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    @Test
    void downloadsDecodesAndFollowsRedirects() {
        RgbImage expected = new ImageLoader().load(PilFixtures.path("decode/rgb.png"));
        assertEquals(expected, new ImageLoader().load(base + "/rgb.png"));
        assertEquals(expected, new ImageLoader().load(base + "/chunked.png"));
        assertEquals(expected, new ImageLoader().load(base + "/moved"));
    }

    @Test
    void httpErrorsAreIo() {
        Llava4jException e = assertThrows(Llava4jException.class, () -> new ImageLoader().load(base + "/missing.png"));
        assertEquals(Code.IO, e.code());
        assertTrue(e.getMessage().contains("404") && e.getMessage().contains("/missing.png"), e.getMessage());
        Llava4jException refused = assertThrows(Llava4jException.class,
                () -> new ImageLoader().load("http://127.0.0.1:1/nothing-listens.png"));
        assertEquals(Code.IO, refused.code());
    }

    @Test
    void sizeLimitAppliesToDeclaredAndStreamedBodies() {
        ImageLoader small = new ImageLoader(ImageLoadOptions.DEFAULTS.withMaxEncodedBytes(PNG.length - 1));
        for (String path : new String[] {"/rgb.png", "/chunked.png"}) {
            Llava4jException e = assertThrows(Llava4jException.class, () -> small.load(base + path));
            assertInstanceOf(ImageTooLargeException.class, e, e.getMessage());
            assertTrue(e.getMessage().contains(path), e.getMessage());
        }
    }

    @Test
    void slowServerTimesOut() {
        ImageLoader impatient = new ImageLoader(
                ImageLoadOptions.DEFAULTS.withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(500)));
        long start = System.nanoTime();
        Llava4jException e = assertThrows(Llava4jException.class, () -> impatient.load(base + "/slow.png"));
        assertEquals(Code.IO, e.code());
        assertTrue(e.getMessage().contains("/slow.png"), e.getMessage());
        assertTrue(System.nanoTime() - start < 2_500_000_000L, "gave up promptly");
    }
}
