package io.llava4j.image;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * RFC 2397 {@code data:[<mediatype>][;base64],<data>} URIs. The media type is not trusted (the
 * decoder sniffs the bytes); base64 may use the standard or URL-safe alphabet, with or without
 * padding and line breaks; non-base64 payloads are percent-decoded.
 */
final class DataUri {
    private DataUri() {}

    /** Whether {@code source} is a data: URI (case-insensitive scheme). */
    static boolean isDataUri(String source) {
        return source.regionMatches(true, 0, "data:", 0, 5);
    }

    /** A short name for messages: the scheme, media type and length, never the payload. */
    static String describe(String uri) {
        int comma = uri.indexOf(',');
        String head = comma < 0 ? uri.substring(0, Math.min(uri.length(), 40)) : uri.substring(0, Math.min(comma, 60));
        return head + (comma < 0 ? "..." : ",...") + " (" + uri.length() + " chars)";
    }

    /**
     * @throws Llava4jException {@code INVALID_ARGUMENT} for a malformed URI, {@link
     *     ImageTooLargeException} when the payload exceeds {@code maxBytes}
     */
    static byte[] decode(String uri, long maxBytes) {
        int comma = uri.indexOf(',');
        if (!isDataUri(uri) || comma < 0) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT, "malformed data: URI, no ',' before the payload: " + describe(uri));
        }
        String meta = uri.substring(5, comma).toLowerCase(Locale.ROOT);
        String payload = uri.substring(comma + 1);
        boolean base64 = meta.endsWith(";base64");
        // base64 expands 3 bytes to 4 chars; percent-encoding never shrinks below 1 byte per 3 chars
        long estimate = base64 ? payload.length() / 4L * 3 : payload.length() / 3L;
        if (estimate > maxBytes) {
            throw new ImageTooLargeException(
                    describe(uri) + ": data: URI payload larger than the limit of " + maxBytes + " bytes", -1, -1);
        }
        byte[] bytes;
        try {
            bytes = base64 ? base64(payload) : percent(payload);
        } catch (IllegalArgumentException e) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "malformed data: URI payload in " + describe(uri) + ": " + e.getMessage(),
                    e);
        }
        if (bytes.length > maxBytes) {
            throw new ImageTooLargeException(
                    describe(uri) + ": data: URI payload of " + bytes.length + " bytes exceeds the limit of "
                            + maxBytes,
                    -1,
                    -1);
        }
        return bytes;
    }

    private static byte[] base64(String payload) {
        StringBuilder sb = new StringBuilder(payload.length());
        for (int i = 0; i < payload.length(); i++) {
            char c = payload.charAt(i);
            if (c == '%' && i + 2 < payload.length()) { // %2B, %2F, %3D in URL-escaped base64
                sb.append((char) Integer.parseInt(payload.substring(i + 1, i + 3), 16));
                i += 2;
            } else if (c == '-') {
                sb.append('+');
            } else if (c == '_') {
                sb.append('/');
            } else if (!Character.isWhitespace(c)) {
                sb.append(c);
            }
        }
        while (sb.length() % 4 != 0) {
            sb.append('=');
        }
        return Base64.getDecoder().decode(sb.toString());
    }

    private static byte[] percent(String payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length());
        byte[] raw = payload.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '%') {
                if (i + 2 >= raw.length) {
                    throw new IllegalArgumentException("truncated %-escape at offset " + i);
                }
                out.write(Integer.parseInt(new String(raw, i + 1, 2, StandardCharsets.US_ASCII), 16));
                i += 2;
            } else {
                out.write(raw[i]);
            }
        }
        return out.toByteArray();
    }
}
