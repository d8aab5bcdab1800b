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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** URL loading against a local HTTP server on 127.0.0.1 (no other network is used). */
class UrlLoadingTest {
    private static HttpServer server;
    private static String base;
    private static final byte[] PNG = PilFixtures.bytes("decode/rgb.png");
    /** How long /slow.png holds back the rest of its body unless the test releases it sooner. */
    private static final long STALL_SECONDS = 60;
    /** Released when the slow-server test is done, so the stalled handler does not hold the server. */
    private static final CountDownLatch RELEASE_SLOW = new CountDownLatch(1);

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
        server.createContext(
                "/chunked.png",
                ex -> { // no Content-Length: the limit applies while streaming
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
                RELEASE_SLOW.await(STALL_SECONDS, TimeUnit.SECONDS);
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
        RELEASE_SLOW.countDown();
        server.stop(0);
    }

    @Test
    void downloadsDecodesAndFollowsRedirects() {
        RgbImage expected = new ImageLoader().load(PilFixtures.path("decode/rgb.png"));
        assertEquals(expected, new ImageLoader().load(base + "/rgb.png"));
        assertEquals(expected, new ImageLoader().load(base + "/chunked.png"));
        assertEquals(expected, new ImageLoader().load(base + "/moved"));
    }

    /** Guards a server's URL policy: a permitted URL must not redirect to a refused one unseen. */
    @Test
    void thePolicySeesEveryRedirectBeforeItIsFollowed() {
        List<String> seen = new ArrayList<>();
        ImageLoader guarded = new ImageLoader(ImageLoadOptions.DEFAULTS, uri -> {
            seen.add(uri.getPath());
            if (uri.getPath().equals("/rgb.png")) {
                throw new Llava4jException(Code.INVALID_ARGUMENT, "refused " + uri);
            }
        });
        Llava4jException e = assertThrows(Llava4jException.class, () -> guarded.load(base + "/moved"));
        assertEquals(Code.INVALID_ARGUMENT, e.code());
        assertEquals(List.of("/moved", "/rgb.png"), seen);
    }

    @Test
    void httpErrorsAreIo() {
        Llava4jException e = assertThrows(Llava4jException.class, () -> new ImageLoader().load(base + "/missing.png"));
        assertEquals(Code.IO, e.code());
        assertTrue(e.getMessage().contains("404") && e.getMessage().contains("/missing.png"), e.getMessage());
        Llava4jException refused = assertThrows(
                Llava4jException.class, () -> new ImageLoader().load("http://127.0.0.1:1/nothing-listens.png"));
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

    /**
     * The whole-response deadline ends a download that stalls after its first bytes. The server
     * holds the rest back for {@value #STALL_SECONDS} s, so without a working deadline the load
     * would succeed (or fail some other way) only after that; the message names the 500 ms deadline,
     * and the elapsed time is at least the deadline (a timed wait never returns early). No upper
     * bound tighter than the stall: how long after the deadline the exception arrives depends on
     * the machine's load (a 2-core CI runner loading the HTTP client classes for the first time).
     */
    @Test
    void slowServerTimesOut() {
        ImageLoader impatient =
                new ImageLoader(ImageLoadOptions.DEFAULTS.withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(500)));
        try {
            long start = System.nanoTime();
            Llava4jException e = assertThrows(Llava4jException.class, () -> impatient.load(base + "/slow.png"));
            long elapsed = System.nanoTime() - start;
            assertEquals(Code.IO, e.code());
            assertTrue(
                    e.getMessage().contains("/slow.png") && e.getMessage().contains("within 500 ms"), e.getMessage());
            assertTrue(elapsed >= TimeUnit.MILLISECONDS.toNanos(500), "waited for the deadline: " + elapsed + " ns");
            assertTrue(
                    elapsed < TimeUnit.SECONDS.toNanos(STALL_SECONDS),
                    "gave up before the server went on: " + elapsed + " ns");
        } finally {
            RELEASE_SLOW.countDown();
        }
    }
}
