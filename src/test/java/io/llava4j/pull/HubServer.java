package io.llava4j.pull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local imitation of the Hugging Face hub, as far as downloads see it: {@code
 * /owner/repo/resolve/main/PATH} answers 302 to a CDN path with {@code X-Linked-ETag} (the file's
 * SHA-256) and {@code X-Linked-Size}, as the hub does for LFS files; the CDN path serves the bytes
 * and honours {@code Range}. Faults can be injected per file: a connection cut mid-body, a wrong
 * advertised checksum, no checksum at all (a non-LFS file), a server that ignores {@code Range}.
 */
final class HubServer implements AutoCloseable {
    /** One request as the server saw it. */
    record Request(String method, String path, String range) {}

    /** A hosted file and its faults. */
    static final class Hosted {
        final byte[] content;
        final String sha256;
        String advertisedSha256;
        boolean lfs = true;
        boolean ignoreRange;
        /** Cut the next N GETs of the content after this many body bytes (-1: never). */
        long cutAfter = -1;

        int cutsLeft;

        Hosted(byte[] content) {
            this.content = content;
            this.sha256 = sha256(content);
            this.advertisedSha256 = sha256;
        }
    }

    private static final Pattern RESOLVE = Pattern.compile("^/([^/]+/[^/]+)/resolve/main/(.+)$");
    private static final Pattern CDN = Pattern.compile("^/cdn/([0-9a-f]{64})$");

    private final HttpServer server;
    private final Map<String, Hosted> byRepoPath = new ConcurrentHashMap<>();
    private final Map<String, Hosted> bySha = new ConcurrentHashMap<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();

    HubServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    /** The endpoint to give {@link HubClient}. */
    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Hosts {@code content} at {@code repo/path}; returns the entry for fault injection. */
    Hosted host(String repo, String path, byte[] content) {
        Hosted h = new Hosted(content);
        byRepoPath.put(repo + "/" + path, h);
        bySha.put(h.sha256, h);
        return h;
    }

    /** GETs of file content (CDN requests) whose Range starts with the prefix (null: no Range). */
    long contentGets(String rangePrefix) {
        return requests.stream()
                .filter(r -> r.method().equals("GET")
                        && r.path().startsWith("/cdn/")
                        && (rangePrefix == null
                                ? r.range() == null
                                : r.range() != null && r.range().startsWith(rangePrefix)))
                .count();
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        requests.add(
                new Request(ex.getRequestMethod(), path, ex.getRequestHeaders().getFirst("Range")));
        try (ex) {
            Matcher m = RESOLVE.matcher(path);
            if (m.matches()) {
                Hosted h = byRepoPath.get(m.group(1) + "/"
                        + java.net.URLDecoder.decode(m.group(2), java.nio.charset.StandardCharsets.UTF_8));
                if (h == null) {
                    ex.sendResponseHeaders(404, -1);
                } else if (h.lfs) {
                    ex.getResponseHeaders().add("X-Linked-ETag", "\"" + h.advertisedSha256 + "\"");
                    ex.getResponseHeaders().add("X-Linked-Size", Long.toString(h.content.length));
                    ex.getResponseHeaders().add("Location", "/cdn/" + h.sha256);
                    ex.sendResponseHeaders(302, -1);
                } else {
                    // A small git-stored file: no redirect, and its ETag is a git SHA-1, not a SHA-256.
                    ex.getResponseHeaders().add("ETag", "\"" + h.sha256.substring(0, 40) + "\"");
                    serve(ex, h);
                }
                return;
            }
            m = CDN.matcher(path);
            Hosted h = m.matches() ? bySha.get(m.group(1)) : null;
            if (h == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            serve(ex, h);
        }
    }

    private static void serve(HttpExchange ex, Hosted h) throws IOException {
        boolean head = ex.getRequestMethod().equals("HEAD");
        long start = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && !h.ignoreRange) {
            Matcher r = Pattern.compile("bytes=(\\d+)-").matcher(range);
            if (r.matches()) {
                start = Long.parseLong(r.group(1));
            }
            if (start >= h.content.length) {
                ex.getResponseHeaders().add("Content-Range", "bytes */" + h.content.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            ex.getResponseHeaders()
                    .add("Content-Range", "bytes " + start + "-" + (h.content.length - 1) + "/" + h.content.length);
        }
        int status = range != null && !h.ignoreRange ? 206 : 200;
        long length = h.content.length - start;
        if (head) {
            ex.getResponseHeaders().add("Content-Length", Long.toString(length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, length);
        OutputStream body = ex.getResponseBody();
        long end = h.content.length;
        boolean cut = h.cutAfter >= 0 && h.cutsLeft > 0;
        if (cut) {
            h.cutsLeft--;
            end = Math.min(end, start + h.cutAfter);
        }
        body.write(h.content, (int) start, (int) (end - start));
        body.flush();
        if (cut) {
            // A handler that throws makes the JDK server close the connection: the client sees the
            // body end early, as when a real connection drops.
            throw new IOException("connection cut after " + (end - start) + " bytes (injected fault)");
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
