package io.llava4j.serve;

import io.llava4j.conversation.LlavaModel;
import io.llava4j.model.ContextOptions;

/** Puts a model behind a started {@link LlavaServer}: the public entry point of the engine choice. */
public final class ModelServer {
    private ModelServer() {}

    /**
     * Opens {@code parallel} chats of {@code model} and starts answering with them; the server owns
     * them from then on (its {@link LlavaServer#close()} frees them), the caller keeps the model and
     * closes it after the server.
     *
     * @param id the model id clients send
     * @param options each chat's context (its length is the context clients see)
     * @param maxQueue requests that may wait for a free chat; more get 429
     * @throws io.llava4j.Llava4jException if a chat's context cannot be created
     */
    public static void attach(
            LlavaServer server, LlavaModel model, String id, int parallel, ContextOptions options, int maxQueue) {
        server.ready(new ChatPool(model, id, parallel, options, maxQueue));
    }
}
