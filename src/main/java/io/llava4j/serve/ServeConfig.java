package io.llava4j.serve;

import java.util.Objects;

/**
 * How the server listens and what it accepts.
 *
 * @param host address to bind (loopback by default: a server reachable from elsewhere is a choice)
 * @param port TCP port; 0 picks a free one ({@link LlavaServer#port()} tells which)
 * @param apiKey when not null, every request but {@code /health} needs {@code Authorization: Bearer <apiKey>}
 * @param maxBodyBytes largest request body accepted (413 beyond it, checked while reading)
 * @param allowLocalUrls whether image URLs may point at loopback, private or link-local addresses
 */
public record ServeConfig(String host, int port, String apiKey, long maxBodyBytes, boolean allowLocalUrls) {
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
        if (apiKey != null && apiKey.isEmpty()) {
            apiKey = null;
        }
    }

    /** Loopback, port 8080, no key, 32 MiB bodies, no local image URLs. */
    public static ServeConfig defaults() {
        return new ServeConfig("127.0.0.1", 8080, null, DEFAULT_MAX_BODY, false);
    }

    public ServeConfig withPort(int value) {
        return new ServeConfig(host, value, apiKey, maxBodyBytes, allowLocalUrls);
    }

    public ServeConfig withApiKey(String value) {
        return new ServeConfig(host, port, value, maxBodyBytes, allowLocalUrls);
    }

    public ServeConfig withMaxBodyBytes(long value) {
        return new ServeConfig(host, port, apiKey, value, allowLocalUrls);
    }

    public ServeConfig withAllowLocalUrls(boolean value) {
        return new ServeConfig(host, port, apiKey, maxBodyBytes, value);
    }
}
