package io.llava4j.serve;

import io.llava4j.conversation.EmbeddingCache;
import io.llava4j.conversation.GenerationListener;
import io.llava4j.conversation.GenerationResult;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.template.Message;
import java.util.List;
import java.util.Set;

/**
 * What the HTTP layer needs from a model: its description and one completion at a time per
 * calling thread. Kept narrow so that the pool of chats behind it today ({@link ChatPool}) can be
 * replaced by an engine that decodes several sequences in one batch without touching the protocol.
 *
 * <p>Thread-safe: {@link #complete} is called from many request threads at once.
 */
interface CompletionEngine extends AutoCloseable {
    /** The served model. */
    ModelInfo model();

    /**
     * Answers the last user message of {@code completion} on the calling thread, streaming text to
     * {@code listener}. Waits for a free sequence if all are busy.
     *
     * @return the answer; {@code CANCELLED} as its finish reason when {@code cancellation} fired
     *     during generation (a cancel while waiting or evaluating the prompt throws instead)
     * @throws QueueFullException if all sequences are busy and the queue is full
     * @throws io.llava4j.Llava4jException {@code CANCELLED} if cancelled before generation,
     *     {@code CONTEXT_FULL} if the prompt does not fit a sequence, {@code INVALID_ARGUMENT} for a
     *     history the model cannot take, {@code CLOSED} once the engine is closing
     */
    GenerationResult complete(Completion completion, GenerationListener listener, Cancellation cancellation);

    /** What the model's embedding cache has served and missed so far. */
    EmbeddingCache.Stats imageCache();

    /** Requests waiting for a sequence now. */
    int queued();

    /** Requests being answered now. */
    int active();

    /**
     * Refuses new requests, lets running ones finish for up to {@code graceMillis}, cancels the
     * rest, then frees every sequence. The model itself stays open (its owner closes it after).
     */
    void shutdown(long graceMillis);

    @Override
    default void close() {
        shutdown(0);
    }

    /**
     * One request's conversation.
     *
     * @param systemPrompt null for the engine's default (the template's unless the server was given one)
     * @param history alternating user and assistant messages, starting and ending with a user message
     */
    record Completion(String systemPrompt, List<Message> history, GenerationSettings settings) {
        public Completion {
            history = List.copyOf(history);
        }
    }

    /**
     * A served model as {@code /v1/models} lists it.
     *
     * @param id the name clients send as {@code model}
     * @param contextLength positions of one sequence
     * @param created Unix seconds when it was loaded
     * @param templateNames the template's name and aliases (what {@code template} may say)
     * @param vision whether it takes images
     */
    record ModelInfo(String id, int contextLength, long created, Set<String> templateNames, boolean vision) {
        public ModelInfo {
            templateNames = Set.copyOf(templateNames);
        }
    }

    /** Every sequence is busy and the queue is full: the client should retry later. */
    final class QueueFullException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        QueueFullException(String message) {
            super(message);
        }
    }
}
