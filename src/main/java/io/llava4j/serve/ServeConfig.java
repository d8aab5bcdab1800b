package io.llava4j.serve;

import java.time.Duration;
import java.util.Objects;

/**
 * How the server listens and what it accepts.
 *
 * @param host address to bind (loopback by default: a server reachable from elsewhere is a choice)
 * @param port TCP port; 0 picks a free one ({@link LlavaServer#port()} tells which)
 * @param apiKey when not null, every request but {@code /health} needs {@code Authorization: Bearer <apiKey>}
 * @param maxBodyBytes largest request body accepted (413 beyond it, checked while reading)
 * @param allowLocalUrls whether image URLs may point at loopback, private or link-local addresses
 * @param idleTimeout how long a connection may stay silent while the server waits for the client
 *     (reading a request, writing to a client that does not read); never while an answer is being
 *     worked out, however long that takes
 */
public record ServeConfig(
        String host, int port, String apiKey, long maxBodyBytes, boolean allowLocalUrls, Duration idleTimeout) {
    /** 32 MiB: a few full-size photos as base64 data URIs. */
    public static final long DEFAULT_MAX_BODY = 32L << 20;

    public ServeConfig {
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("maxBodyBytes must be positive: " + maxBodyBytes);
        }
        if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive: " + idleTimeout);
        }
        if (apiKey != null && apiKey.isEmpty()) {
            apiKey = null;
        }
    }

    /** Jetty's own default. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

    /** Loopback, port 8080, no key, 32 MiB bodies, no local image URLs, 30 s idle timeout. */
    public static ServeConfig defaults() {
        return new ServeConfig("127.0.0.1", 8080, null, DEFAULT_MAX_BODY, false, DEFAULT_IDLE_TIMEOUT);
    }

    public ServeConfig withPort(int value) {
        return new ServeConfig(host, value, apiKey, maxBodyBytes, allowLocalUrls, idleTimeout);
    }

    public ServeConfig withApiKey(String value) {
        return new ServeConfig(host, port, value, maxBodyBytes, allowLocalUrls, idleTimeout);
    }

    public ServeConfig withMaxBodyBytes(long value) {
        return new ServeConfig(host, port, apiKey, value, allowLocalUrls, idleTimeout);
    }

    public ServeConfig withAllowLocalUrls(boolean value) {
        return new ServeConfig(host, port, apiKey, maxBodyBytes, value, idleTimeout);
    }

    public ServeConfig withIdleTimeout(Duration value) {
        return new ServeConfig(host, port, apiKey, maxBodyBytes, allowLocalUrls, value);
    }
}
