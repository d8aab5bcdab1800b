package io.llava4j.serve;

import io.llava4j.conversation.LlavaModel;
import io.llava4j.model.ContextOptions;

/**
 * Puts models behind a started {@link LlavaServer}: the public entry point of the engine choice.
 * A server started with several ids gets one {@link #attach} per id, usually each right after its
 * model is loaded (loading the next one then sees the memory this one's chats took).
 */
public final class ModelServer {
    private ModelServer() {}

    /**
     * Opens {@code parallel} chats of {@code model} and starts answering requests for {@code id}
     * with them; the server owns them from then on (its {@link LlavaServer#close()} frees them),
     * the caller keeps the model and closes it after the server. Requests without a system
     * message get the template's default system prompt.
     *
     * @param id the model id clients send: one of {@link LlavaServer#modelIds()}
     * @param options each chat's context (its length is the context clients see)
     * @param maxQueue requests that may wait for a free chat of this model; more get 429
     * @throws IllegalArgumentException if the server was not started with {@code id}, or already serves it
     * @throws io.llava4j.Llava4jException if a chat's context cannot be created, {@code CLOSED} (the
     *     chats freed again) if the server is closing
     */
    public static void attach(
            LlavaServer server, LlavaModel model, String id, int parallel, ContextOptions options, int maxQueue) {
        attach(server, model, id, parallel, options, maxQueue, null);
    }

    /**
     * As {@link #attach(LlavaServer, LlavaModel, String, int, ContextOptions, int)}, with the
     * system prompt of requests that carry no system message (a request's own system messages
     * replace it).
     *
     * @param systemPrompt null for the template's default, "" for none
     */
    public static void attach(
            LlavaServer server,
            LlavaModel model,
            String id,
            int parallel,
            ContextOptions options,
            int maxQueue,
            String systemPrompt) {
        if (!server.modelIds().contains(id)) {
            throw new IllegalArgumentException("'" + id + "' is none of the server's ids " + server.modelIds());
        }
        server.add(new ChatPool(model, id, parallel, options, maxQueue, systemPrompt));
    }
}
