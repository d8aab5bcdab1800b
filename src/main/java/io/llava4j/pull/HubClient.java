package io.llava4j.pull;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * HTTP access to a Hugging Face hub: file metadata (size and SHA-256) from a {@code HEAD} of the
 * {@code resolve} URL, and ranged {@code GET}s. Redirects (the hub sends LFS files to a CDN) are
 * followed here rather than by {@link HttpClient}, so the {@code Range} header and the metadata of
 * the first response are never lost on the way.
 *
 * <p>The endpoint is, first found: system property {@value #ENDPOINT_PROPERTY}, environment
 * variable {@value #ENDPOINT_ENV}, {@code HF_ENDPOINT} (the hub tools' own variable), {@value
 * #DEFAULT_ENDPOINT}. Thread-safe.
 */
public final class HubClient {
    public static final String ENDPOINT_PROPERTY = "llava4j.hf.endpoint";
    public static final String ENDPOINT_ENV = "LLAVA4J_HF_ENDPOINT";
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final int MAX_REDIRECTS = 10;
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /** What the hub says about a file before the download. */
    record Metadata(URI uri, long size, String sha256) {}

    /** An open response body: {@code start} is the byte offset of its first byte. */
    record Body(int status, long start, long length, InputStream stream) {}

    private final URI endpoint;
    private final HttpClient http;

    /** A client for the given endpoint (scheme and host, optionally a path prefix). */
    public HubClient(URI endpoint) {
        String s = endpoint.toString();
        this.endpoint = URI.create(s.endsWith("/") ? s : s + "/");
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(20))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** The client for this process's settings (see the class comment). */
    public static HubClient fromEnvironment() {
        String e = System.getProperty(ENDPOINT_PROPERTY);
        if (e == null || e.isBlank()) {
            e = System.getenv(ENDPOINT_ENV);
        }
        if (e == null || e.isBlank()) {
            e = System.getenv("HF_ENDPOINT");
        }
        return new HubClient(URI.create(e == null || e.isBlank() ? DEFAULT_ENDPOINT : e.trim()));
    }

    /** The endpoint, e.g. {@code https://huggingface.co/}. */
    public URI endpoint() {
        return endpoint;
    }

    /** {@code ENDPOINT/owner/repo/resolve/REVISION/path}, each segment percent-encoded. */
    URI resolveUri(HfFile f) {
        StringBuilder sb = new StringBuilder(f.repo()).append("/resolve/").append(encode(f.revision()));
        for (String segment : f.path().split("/")) {
            sb.append('/').append(encode(segment));
        }
        return endpoint.resolve(sb.toString());
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * The file's size and SHA-256 as the hub publishes them: {@code X-Linked-Size} and
     * {@code X-Linked-ETag} for LFS files (on the redirect itself), else {@code Content-Length} and an
     * {@code ETag} that is a SHA-256. Either may be missing (-1 / null).
     */
    Metadata head(HfFile f) {
        URI uri = resolveUri(f);
        HttpResponse<Void> r = send(
                HttpRequest.newBuilder(uri).method("HEAD", HttpRequest.BodyPublishers.noBody()),
                HttpResponse.BodyHandlers.discarding(),
                f,
                true);
        String sha = etag(r, "X-Linked-ETag").or(() -> etag(r, "ETag")).orElse(null);
        long size = r.headers()
                .firstValueAsLong("X-Linked-Size")
                .orElse(
                        r.statusCode() == 200
                                ? r.headers().firstValueAsLong("Content-Length").orElse(-1)
                                : -1);
        return new Metadata(uri, size, sha);
    }

    private static Optional<String> etag(HttpResponse<?> r, String header) {
        return r.headers()
                .firstValue(header)
                .map(v -> v.trim().replaceFirst("^W/", "").replace("\"", "").toLowerCase(Locale.ROOT))
                .filter(v -> SHA256.matcher(v).matches());
    }

    /**
     * Opens the file's content from {@code offset} on ({@code Range}), following redirects. A 206
     * answer starts at {@code offset}; a 200 answer is the whole file (the server ignored the range);
     * status 416 means there is nothing after {@code offset}.
     */
    Body get(HfFile f, long offset) {
        HttpRequest.Builder b = HttpRequest.newBuilder(resolveUri(f)).GET();
        if (offset > 0) {
            b.header("Range", "bytes=" + offset + "-");
        }
        HttpResponse<InputStream> r = send(b, HttpResponse.BodyHandlers.ofInputStream(), f, false);
        long length = r.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (r.statusCode() == 416) {
            closeQuietly(r.body());
            return new Body(416, offset, 0, InputStream.nullInputStream());
        }
        long start = 0;
        if (r.statusCode() == 206) {
            // "Content-Range: bytes START-END/TOTAL"
            String range = r.headers().firstValue("Content-Range").orElse("");
            java.util.regex.Matcher m = Pattern.compile("bytes\\s+(\\d+)-").matcher(range);
            start = m.find() ? Long.parseLong(m.group(1)) : -1;
        }
        return new Body(r.statusCode(), start, length, r.body());
    }

    /** Sends with manual redirects and turns network and HTTP failures into clear exceptions. */
    private <T> HttpResponse<T> send(
            HttpRequest.Builder request,
            HttpResponse.BodyHandler<T> handler,
            HfFile f,
            boolean stopAtRedirectWithMetadata) {
        HttpRequest req = request.timeout(Duration.ofMinutes(2)).build();
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<T> r;
            try {
                r = http.send(req, handler);
            } catch (HttpConnectTimeoutException e) {
                throw unreachable(req.uri(), "connection timed out", e);
            } catch (ConnectException e) {
                throw unreachable(
                        req.uri(), e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), e);
            } catch (HttpTimeoutException e) {
                throw new Llava4jException(Code.IO, req.uri().getHost() + " did not answer in time for " + f, e);
            } catch (IOException e) {
                throw new Llava4jException(
                        Code.IO, "talking to " + req.uri().getHost() + " about " + f + " failed: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Llava4jException(Code.CANCELLED, "interrupted while fetching " + f, e);
            }
            int status = r.statusCode();
            if (status >= 300
                    && status < 400
                    && r.headers().firstValue("Location").isPresent()) {
                if (stopAtRedirectWithMetadata
                        && r.headers().firstValue("X-Linked-ETag").isPresent()) {
                    return r;
                }
                closeBody(r);
                URI next = req.uri().resolve(r.headers().firstValue("Location").get());
                HttpRequest.Builder again = HttpRequest.newBuilder(next)
                        .method(req.method(), HttpRequest.BodyPublishers.noBody())
                        .timeout(Duration.ofMinutes(2));
                req.headers().firstValue("Range").ifPresent(v -> again.header("Range", v));
                req = again.build();
                continue;
            }
            if (status == 200 || status == 206 || status == 416) {
                return r;
            }
            closeBody(r);
            throw httpError(status, f, req.uri());
        }
        throw new Llava4jException(Code.IO, "too many redirects fetching " + f);
    }

    private Llava4jException unreachable(URI uri, String reason, Exception cause) {
        return new Llava4jException(
                Code.IO,
                "cannot reach " + uri.getHost() + " (" + reason + "): check the" + " internet connection, or point "
                        + ENDPOINT_ENV + " at a reachable mirror",
                cause);
    }

    private static Llava4jException httpError(int status, HfFile f, URI uri) {
        String what = switch (status) {
            case 401, 403 -> "access denied (the repository may be gated or private; only public files can be pulled)";
            case 404 -> "not found (check the repository and file name)";
            default -> "the server answered HTTP " + status;
        };
        return new Llava4jException(Code.IO, f + ": " + what + " (HTTP " + status + " from " + uri + ")");
    }

    private static void closeBody(HttpResponse<?> r) {
        if (r.body() instanceof InputStream in) {
            closeQuietly(in);
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // Nothing to recover: the response is abandoned.
        }
    }
}
