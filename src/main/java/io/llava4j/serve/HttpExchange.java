package io.llava4j.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One request and its response on Jetty's core API: blocking reads, and writes that a streamed
 * answer starts without waiting (handlers run on Jetty's pool threads, where blocking is allowed).
 */
final class HttpExchange {
    final Request request;
    final Response response;
    private final Callback callback;
    private boolean done;
    /** What the request log line says about this exchange beyond method, path and status. */
    String logDetail = "";
    /** The served model the request went to, for the metrics; empty when none. */
    String model = "";

    HttpExchange(Request request, Response response, Callback callback) {
        this.request = request;
        this.response = response;
        this.callback = callback;
    }

    /**
     * The body, refused with 413 as soon as it is known to exceed {@code max} bytes: from its
     * {@code Content-Length}, else while reading (a chunked body is never read past the limit).
     */
    byte[] body(long max) {
        long declared = request.getLength();
        if (declared > max) {
            throw tooLarge(max);
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            if (data.length > max) {
                throw tooLarge(max);
            }
            return data;
        } catch (IOException e) {
            throw ApiError.badRequest("could not read the request body: " + e.getMessage(), null);
        }
    }

    private static ApiError tooLarge(long max) {
        return new ApiError(
                413,
                "invalid_request_error",
                "request_too_large",
                null,
                "the request body is larger than " + max + " bytes (the server's --max-body)",
                0);
    }

    /** Sends a whole JSON response and completes the exchange. */
    void json(int status, ObjectNode body) {
        send(status, "application/json", OpenAiJson.bytes(body));
    }

    /** Sends an error in OpenAI's shape, with {@code Retry-After} when the error has one. */
    void error(ApiError e) {
        if (e.retryAfterSeconds() > 0) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, Integer.toString(e.retryAfterSeconds()));
        }
        json(e.status(), OpenAiJson.error(e));
    }

    void send(int status, String contentType, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, Long.toString(body.length));
        done = true;
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /**
     * Starts writing part of a streamed body; {@code done} is told when it is sent or failed. One
     * write at a time.
     */
    void writeAsync(byte[] data, Callback done) {
        response.write(false, ByteBuffer.wrap(data), done);
    }

    /** Ends a streamed body. */
    void end() {
        done = true;
        response.write(true, null, callback);
    }

    /** Abandons a streamed body whose client is gone. */
    void abort(Throwable cause) {
        done = true;
        callback.failed(cause);
    }

    /** Whether the response was completed (or abandoned). */
    boolean done() {
        return done;
    }

    /** Whether the status line and headers went out (errors can then only go in-band). */
    boolean committed() {
        return response.isCommitted();
    }
}
