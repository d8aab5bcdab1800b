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
    private boolean clientGone;

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
     * {@code Content-Length}, else while reading (a chunked body is never kept past the limit). The
     * refused body is read and dropped, up to {@link #DRAIN_LIMIT}, so that a client still sending
     * it gets the 413 rather than a reset connection.
     */
    byte[] body(long max) {
        long declared = request.getLength();
        try (InputStream in = Content.Source.asInputStream(request)) {
            if (declared > max) {
                drain(in, declared);
                throw tooLarge(max);
            }
            byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            if (data.length > max) {
                drain(in, Long.MAX_VALUE);
                throw tooLarge(max);
            }
            return data;
        } catch (IOException e) {
            throw ApiError.badRequest("could not read the request body: " + e.getMessage(), null);
        }
    }

    /** The most of a refused body that is read (and dropped) before the 413 goes out. */
    static final long DRAIN_LIMIT = 64L << 20;

    /** Reads and drops up to {@code length} bytes (at most {@link #DRAIN_LIMIT}); the connection closes after. */
    private void drain(InputStream in, long length) throws IOException {
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        if (length > DRAIN_LIMIT) {
            return;
        }
        byte[] buf = new byte[64 << 10];
        long left = Math.min(length, DRAIN_LIMIT);
        for (int n; left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) >= 0; ) {
            left -= n;
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

    /**
     * Notes that the client went away before its answer was complete: the log and the metrics say
     * 499 (nginx's "client closed request") instead of a status the client never saw.
     */
    void clientGone() {
        clientGone = true;
    }

    /** The status to log and count: 499 when the client went away, else the response's. */
    int loggedStatus() {
        return clientGone ? 499 : response.getStatus();
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
