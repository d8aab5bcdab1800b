package io.llava4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llava4j.Llava4jException;
import io.llava4j.conversation.FinishReason;
import io.llava4j.conversation.GenerationListener;
import io.llava4j.conversation.GenerationResult;
import io.llava4j.serve.CompletionEngine.ModelInfo;
import io.llava4j.serve.CompletionEngine.QueueFullException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.Callback;

/**
 * {@code POST /v1/chat/completions}: parses the request, runs it on the engine of the model it
 * names and answers with one
 * {@code chat.completion} object or, with {@code stream:true}, Server-Sent Events of
 * {@code chat.completion.chunk} objects ending in {@code data: [DONE]}.
 *
 * <p>A client that goes away cancels its completion, which frees its sequence: from the moment its
 * body is read, a {@link DisconnectWatch} notices an HTTP/1.x connection closing (waiting for a
 * sequence, evaluating the prompt or generating, streamed or not), and a failure Jetty reports on
 * the request (an HTTP/2 reset, a failed write) cancels too. Streamed text is queued and written
 * asynchronously, never on the generating thread: the sequences of a model decode together, so a
 * slow client must not hold a step back.
 * Errors before the first streamed byte get their HTTP status; after it, an in-band
 * {@code {"error":...}} event ends the stream.
 */
final class Completions {
    private static final SecureRandom IDS = new SecureRandom();
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private final ServedModels models;
    private final ImageSource images;
    private final ServerMetrics metrics;
    private final long maxBody;

    Completions(ServedModels models, ImageSource images, ServerMetrics metrics, long maxBody) {
        this.models = models;
        this.images = images;
        this.metrics = metrics;
        this.maxBody = maxBody;
    }

    void handle(HttpExchange ex) {
        String id = "chatcmpl-" + randomId();
        long created = System.currentTimeMillis() / 1000;
        ex.logDetail = id;
        JsonNode body;
        try {
            body = OpenAiJson.MAPPER.readTree(ex.body(maxBody));
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("the body is not valid JSON: " + e.getOriginalMessage(), null);
        } catch (IOException e) {
            throw ApiError.badRequest("could not read the request body: " + e.getMessage(), null);
        }
        if (body == null || body.isMissingNode()) {
            throw ApiError.badRequest("the request body is empty: send a JSON object", null);
        }
        CompletionEngine engine = models.route(ChatRequestParser.model(body));
        ModelInfo model = engine.model();
        ex.model = model.id();
        ChatRequest req = new ChatRequestParser(model, images).parse(body);
        Cancellation cancellation = new Cancellation();
        ex.request.addFailureListener(failure -> cancellation.cancel());
        // Jetty's idle timeout fails a request whose connection is silent for that long, and the
        // failure listener would cancel it: but a silent connection is what a long prefill or a
        // non-streamed answer looks like. A stuck write still fails (and cancels); a client that
        // leaves is noticed by the DisconnectWatch.
        ex.request.addIdleTimeoutListener(timeout -> false);
        try {
            run(ex, engine, req, id, created, cancellation);
        } finally {
            if (cancellation.isCancelled()) {
                metrics.cancelled(model.id());
            }
        }
    }

    private void run(
            HttpExchange ex,
            CompletionEngine engine,
            ChatRequest req,
            String id,
            long created,
            Cancellation cancellation) {
        String model = engine.model().id();
        Stream stream = req.stream() ? new Stream(ex, id, created, model, req.includeUsage(), cancellation) : null;
        GenerationResult r;
        try {
            r = complete(ex, engine, req, stream != null ? stream : GenerationListener.none(), cancellation);
        } catch (RuntimeException e) {
            ApiError error = apiError(e, cancellation);
            if (stream != null && ex.committed()) {
                stream.fail(error);
                return;
            }
            throw error;
        }
        ex.logDetail = String.format(
                Locale.ROOT,
                "%s model=%s prompt=%d completion=%d reused=%d encode=%dms prefill=%dms generation=%dms finish=%s",
                id,
                model,
                r.promptPositions(),
                r.generatedTokens(),
                r.reusedPositions(),
                r.encodeMillis(),
                r.prefillMillis(),
                r.generateMillis(),
                r.finishReason().name().toLowerCase(Locale.ROOT));
        metrics.completed(model, r);
        if (r.finishReason() == FinishReason.CANCELLED && cancellation.isCancelled()) {
            ex.clientGone();
            if (stream == null) {
                ex.abort(new IOException("the client went away"));
                return;
            }
        }
        if (stream != null) {
            stream.finish(r);
        } else {
            ex.json(200, OpenAiJson.completion(id, created, model, r));
        }
    }

    /** Runs the completion while watching for the client going away. */
    private static GenerationResult complete(
            HttpExchange ex,
            CompletionEngine engine,
            ChatRequest req,
            GenerationListener listener,
            Cancellation cancellation) {
        DisconnectWatch watch = DisconnectWatch.start(ex.request, cancellation);
        try {
            return engine.complete(req.completion(), listener, cancellation);
        } finally {
            // before the response is completed: Jetty then reads the connection again, and aborts
            // it if the watch still holds the read interest
            watch.close();
        }
    }

    /** The HTTP error for an engine failure. */
    private ApiError apiError(RuntimeException e, Cancellation cancellation) {
        if (e instanceof QueueFullException) {
            return new ApiError(429, "rate_limit_exceeded", "queue_full", null, e.getMessage(), 1);
        }
        if (!(e instanceof Llava4jException le)) {
            throw e;
        }
        return switch (le.code()) {
            case CONTEXT_FULL -> ApiError.badRequest(le.getMessage(), "messages", "context_length_exceeded");
            case INVALID_ARGUMENT, INVALID_FILE -> ApiError.badRequest(le.getMessage(), "messages");
            case CANCELLED -> new ApiError(503, "server_error", "cancelled", null, le.getMessage(), 0);
            case CLOSED -> new ApiError(503, "server_error", "shutting_down", null, "the server is shutting down", 5);
            default -> throw le;
        };
    }

    static String randomId() {
        StringBuilder sb = new StringBuilder(24);
        for (int i = 0; i < 24; i++) {
            sb.append(ALPHABET.charAt(IDS.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    /** Sends the answer as Server-Sent Events while it is generated. */
    private final class Stream implements GenerationListener {
        private final HttpExchange ex;
        private final String id;
        private final long created;
        private final String model;
        private final boolean includeUsage;
        private final Cancellation cancellation;
        private boolean started;
        /** Text waiting for the write in flight; guarded by this stream. */
        private final StringBuilder queued = new StringBuilder();

        private boolean writing;
        private Throwable broken;

        Stream(
                HttpExchange ex,
                String id,
                long created,
                String model,
                boolean includeUsage,
                Cancellation cancellation) {
            this.ex = ex;
            this.id = id;
            this.created = created;
            this.model = model;
            this.includeUsage = includeUsage;
            this.cancellation = cancellation;
        }

        @Override
        public void onText(String piece) {
            start();
            event(OpenAiJson.chunk(id, created, model, null, piece, includeUsage));
        }

        /** Status line, headers and the first chunk (the role), once. */
        private void start() {
            if (started) {
                return;
            }
            started = true;
            ex.response.setStatus(200);
            ex.response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
            ex.response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
            // proxies such as nginx would otherwise hold the events back
            ex.response.getHeaders().put("X-Accel-Buffering", "no");
            event(OpenAiJson.chunk(id, created, model, "assistant", "", includeUsage));
        }

        void finish(GenerationResult r) {
            start();
            event(OpenAiJson.finalChunk(id, created, model, r, includeUsage));
            if (includeUsage) {
                event(OpenAiJson.usageChunk(id, created, model, r));
            }
            done();
        }

        void fail(ApiError error) {
            event(OpenAiJson.error(error));
            done();
        }

        private void done() {
            write("data: [DONE]\n\n");
            Throwable failure = drain();
            if (failure != null) {
                ex.abort(failure);
            } else {
                ex.end();
            }
        }

        private void event(ObjectNode data) {
            write("data: " + new String(OpenAiJson.bytes(data), StandardCharsets.UTF_8) + "\n\n");
        }

        /** Queues {@code text}; starts a write unless one is in flight (its completion sends the rest). */
        private void write(String text) {
            byte[] next;
            synchronized (this) {
                if (broken != null) {
                    return;
                }
                queued.append(text);
                if (writing) {
                    return;
                }
                writing = true;
                next = take();
            }
            ex.writeAsync(next, sent);
        }

        /** What is queued, as bytes; the caller holds the lock. */
        private byte[] take() {
            byte[] bytes = queued.toString().getBytes(StandardCharsets.UTF_8);
            queued.setLength(0);
            return bytes;
        }

        /** Waits until everything queued is written or the client is gone; the failure, if any. */
        private synchronized Throwable drain() {
            while (writing) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return e;
                }
            }
            return broken;
        }

        /** Told when a write is done: sends what was queued meanwhile, or stops on a failure. */
        private final Callback sent = new Callback() {
            @Override
            public void succeeded() {
                byte[] next;
                synchronized (Stream.this) {
                    if (queued.isEmpty()) {
                        writing = false;
                        Stream.this.notifyAll();
                        return;
                    }
                    next = take();
                }
                ex.writeAsync(next, this);
            }

            @Override
            public void failed(Throwable x) {
                synchronized (Stream.this) {
                    broken = x;
                    writing = false;
                    queued.setLength(0);
                    Stream.this.notifyAll();
                }
                cancellation.cancel();
            }
        };
    }
}
