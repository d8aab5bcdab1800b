package io.llava4j.conversation;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.model.ContextOptions;
import io.llava4j.model.InferenceContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Chats whose KV caches are sequences of one llama.cpp context: when several generate at once
 * (each on its own thread), their tokens are evaluated together, one batched decode per step, and
 * a chat that starts evaluates its prompt in chunks between the others' tokens (continuous
 * batching). This is how a server answers several clients with one model.
 *
 * <p>Each chat is a full {@link Chat} with {@link ContextOptions#contextLength()} positions of its
 * own. Its {@link GenerationListener} runs between two steps of every chat of the group, so it must
 * not block (queue text for a slow client). {@link Chat#cancel()} stops one chat; the others go on.
 * {@link Chat#save} of a group's chat stores no KV state (llama.cpp's state of a context of several
 * sequences loads only into a context of as many). Close the group (which closes its chats) before
 * the model.
 */
public final class ChatGroup implements AutoCloseable {
    private final BatchedContext shared;
    private final List<Chat> chats;
    private boolean closed;

    ChatGroup(LlavaModel model, ContextOptions options, int count) {
        if (count < 1 || count > InferenceContext.MAX_SEQUENCES) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "a chat group holds 1 to " + InferenceContext.MAX_SEQUENCES + " chats, not " + count);
        }
        this.shared = new BatchedContext(model.languageModel().newContext(options, count));
        List<Chat> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            list.add(new Chat(model, options, new Sequence(shared, i, false)));
        }
        this.chats = List.copyOf(list);
    }

    /** The chats, one per sequence of the context. */
    public List<Chat> chats() {
        if (closed) {
            throw new Llava4jException(Code.CLOSED, "this chat group is closed");
        }
        return chats;
    }

    /** The shared context (for tests). */
    BatchedContext batched() {
        return shared;
    }

    /**
     * Closes the chats and frees the context (idempotent).
     *
     * @throws IllegalStateException while a chat generates: cancel it first
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        for (Chat chat : chats) {
            chat.close();
        }
        closed = true;
        shared.close();
    }
}
