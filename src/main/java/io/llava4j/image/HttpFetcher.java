package io.llava4j.image;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Downloads an http(s) URL into memory with a size bound and a deadline for the whole response
 * (headers and body, all redirects included), so a slow or endless server cannot hang or exhaust
 * the caller. Redirects are followed here rather than by the HTTP client (at most 5, the JDK's own
 * limit), except from https to http, so that the {@link UrlPolicy} sees every URL before it is
 * requested.
 */
final class HttpFetcher {
    /** Redirects followed before giving up, as {@code jdk.httpclient.redirects.retrylimit}'s default. */
    private static final int MAX_REDIRECTS = 5;

    /** One client (and selector thread) per connect timeout; Java 17's HttpClient cannot be closed. */
    private static final Map<Duration, HttpClient> CLIENTS = new ConcurrentHashMap<>();

    private HttpFetcher() {}

    /**
     * @throws Llava4jException {@code IO} for network errors, timeouts and non-2xx statuses;
     *     {@link ImageTooLargeException} when the body exceeds {@code options.maxEncodedBytes()}
     */
    static byte[] fetch(URI uri, ImageLoadOptions options, UrlPolicy policy) {
        long deadline = System.nanoTime() + options.readTimeout().toNanos();
        URI at = uri;
        for (int hop = 0; ; hop++) {
            policy.check(at);
            HttpResponse<byte[]> response = get(uri, at, options, deadline);
            int status = response.statusCode();
            if (status / 100 == 2) {
                return response.body();
            }
            var location = response.headers().firstValue("Location");
            if (!isRedirect(status) || location.isEmpty()) {
                throw new Llava4jException(Code.IO, uri + ": HTTP status " + status);
            }
            if (hop == MAX_REDIRECTS) {
                throw new Llava4jException(Code.IO, uri + ": more than " + MAX_REDIRECTS + " redirects");
            }
            URI next;
            try {
                next = at.resolve(location.get());
            } catch (IllegalArgumentException e) {
                throw new Llava4jException(Code.IO, uri + ": malformed redirect to " + location.get(), e);
            }
            String scheme = String.valueOf(next.getScheme()).toLowerCase(java.util.Locale.ROOT);
            boolean fromHttps = "https".equalsIgnoreCase(at.getScheme());
            if (!(scheme.equals("https") || (scheme.equals("http") && !fromHttps))) {
                throw new Llava4jException(Code.IO, uri + ": refused redirect from " + at + " to " + next);
            }
            at = next;
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    /** One request, without following redirects, answered before {@code deadline} (nanoTime). */
    private static HttpResponse<byte[]> get(URI uri, URI at, ImageLoadOptions options, long deadline) {
        long max = options.maxEncodedBytes();
        HttpClient client = CLIENTS.computeIfAbsent(
                options.connectTimeout(),
                t -> HttpClient.newBuilder()
                        .connectTimeout(t)
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .build());
        HttpRequest request = HttpRequest.newBuilder(at)
                .timeout(options.readTimeout())
                .header("Accept", "image/*")
                .GET()
                .build();
        CompletableFuture<HttpResponse<byte[]>> future = client.sendAsync(request, info -> {
            long declared = info.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (info.statusCode() / 100 == 2 && declared > max) {
                return new LimitedBody(max, declared);
            }
            return new LimitedBody(max, -1);
        });
        try {
            return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new Llava4jException(
                    Code.IO,
                    uri + ": no complete response within "
                            + options.readTimeout().toMillis() + " ms",
                    e);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new Llava4jException(Code.IO, uri + ": interrupted while downloading", e);
        } catch (CancellationException e) {
            throw new Llava4jException(Code.IO, uri + ": download cancelled", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            while (cause instanceof IOException && cause.getCause() instanceof TooLarge) {
                cause = cause.getCause();
            }
            if (cause instanceof TooLarge tl) {
                throw new ImageTooLargeException(
                        uri + ": download " + tl.getMessage() + " exceeds the limit of " + max + " bytes", -1, -1);
            }
            throw new Llava4jException(Code.IO, uri + ": download failed: " + cause, cause);
        }
    }

    /** Signals the size limit through the subscriber's failure path. */
    private static final class TooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        TooLarge(String message) {
            super(message);
        }
    }

    /** Collects the body, cancelling the subscription as soon as it grows past the limit. */
    private static final class LimitedBody implements BodySubscriber<byte[]> {
        private final long max;
        private final long declared;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private Flow.Subscription subscription;

        LimitedBody(long max, long declared) {
            this.max = max;
            this.declared = declared;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (declared > max) {
                s.cancel();
                result.completeExceptionally(new TooLarge("of " + declared + " bytes (Content-Length)"));
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer b : items) {
                if (buffer.size() + (long) b.remaining() > max) {
                    subscription.cancel();
                    result.completeExceptionally(new TooLarge("of more than " + max + " bytes"));
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                buffer.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(buffer.toByteArray());
        }
    }
}
