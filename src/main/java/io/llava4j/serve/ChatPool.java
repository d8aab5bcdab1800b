package io.llava4j.serve;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.conversation.Chat;
import io.llava4j.conversation.ChatGroup;
import io.llava4j.conversation.ContextPolicy;
import io.llava4j.conversation.EmbeddingCache;
import io.llava4j.conversation.FinishReason;
import io.llava4j.conversation.GenerationListener;
import io.llava4j.conversation.GenerationResult;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.conversation.RenderedConversation;
import io.llava4j.model.ContextOptions;
import io.llava4j.template.ChatTemplate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A {@link CompletionEngine} over the {@code parallel} {@link Chat}s of a {@link ChatGroup}: their
 * KV caches are sequences of one context, and the chats that answer at the same time are decoded
 * together, one batch per step (each request runs its chat on its own thread). When a history no
 * longer fits a sequence, its oldest turns are dropped ({@link ContextPolicy#DROP_OLDEST_TURNS}).
 *
 * <p>OpenAI clients resend the whole conversation each turn, so a request takes the free chat that
 * already holds most of it: its conversation is rendered and tokenized once ({@link
 * RenderedConversation}), and each free chat counts the KV positions of its cache that the prompt
 * begins with ({@link Chat#reusablePositions}: tokens by id, images by content), whatever turn or
 * system prompt differs; the chat keeps those and evaluates the rest (images it holds are not
 * encoded again). Taking a chat discards the rest of what it holds, so a chat that would keep less
 * than half of it counts as keeping nothing: a new conversation that shares only a system prompt
 * with another takes an empty or the least recently used chat rather than the other's. Among chats
 * that keep as much, the least recently used is taken. Requests that find every chat busy wait in a
 * queue of at most {@code maxQueue}; beyond that they are refused. A request without a system
 * message gets the pool's default system prompt (the template's unless one was given).
 *
 * <p>Thread-safe. Owns its chats (closed by {@link #shutdown}), not the model.
 */
final class ChatPool implements CompletionEngine {
    private final ModelInfo info;
    private final LlavaModel model;
    private final ChatGroup group;
    private final EmbeddingCache imageCache;
    private final List<Slot> slots = new ArrayList<>();
    private final int maxQueue;
    private final String defaultSystemPrompt;
    private int waiting;
    private int busy;
    private boolean closing;
    private long clock;

    /** One chat and whether a request holds it. */
    private static final class Slot {
        final Chat chat;
        boolean busy;
        long lastUsed;
        Cancellation cancellation;

        Slot(Chat chat) {
            this.chat = chat;
        }
    }

    /**
     * Opens a group of {@code parallel} chats of {@code model}: one context of {@code parallel}
     * sequences of {@code options.contextLength()} positions each. Requests without a system
     * message get the template's default system prompt.
     *
     * @param id the model id clients name
     * @throws Llava4jException if the context cannot be created
     */
    ChatPool(LlavaModel model, String id, int parallel, ContextOptions options, int maxQueue) {
        this(model, id, parallel, options, maxQueue, null);
    }

    /**
     * As {@link #ChatPool(LlavaModel, String, int, ContextOptions, int)}, with the system prompt
     * of requests that carry none.
     *
     * @param defaultSystemPrompt null for the template's default, "" for none
     */
    ChatPool(
            LlavaModel model,
            String id,
            int parallel,
            ContextOptions options,
            int maxQueue,
            String defaultSystemPrompt) {
        if (parallel < 1 || maxQueue < 0) {
            throw new IllegalArgumentException("parallel must be >= 1 and maxQueue >= 0");
        }
        this.maxQueue = maxQueue;
        this.defaultSystemPrompt = defaultSystemPrompt;
        this.model = model;
        this.group = model.newChatGroup(options, parallel);
        this.imageCache = model.embeddingCache();
        for (Chat chat : group.chats()) {
            chat.setContextPolicy(ContextPolicy.DROP_OLDEST_TURNS);
            slots.add(new Slot(chat));
        }
        ChatTemplate template = model.template().template();
        Set<String> names = new HashSet<>(template.aliases());
        names.add(template.name());
        this.info = new ModelInfo(
                Objects.requireNonNull(id, "id"),
                slots.get(0).chat.capacity(),
                System.currentTimeMillis() / 1000,
                names,
                model.canSee());
    }

    @Override
    public ModelInfo model() {
        return info;
    }

    @Override
    public EmbeddingCache.Stats imageCache() {
        return imageCache.stats();
    }

    @Override
    public synchronized int queued() {
        return waiting;
    }

    @Override
    public synchronized int active() {
        return busy;
    }

    @Override
    public GenerationResult complete(Completion request, GenerationListener listener, Cancellation cancellation) {
        // the default goes in before a chat is picked: a chat that holds a conversation under it
        // is found again by the conversation's next request, which carries no system message either
        Completion completion = request.systemPrompt() == null && defaultSystemPrompt != null
                ? new Completion(defaultSystemPrompt, request.history(), request.settings())
                : request;
        // rendered and tokenized once, outside the lock; compared with every free chat under it
        RenderedConversation conversation = model.render(completion.systemPrompt(), completion.history());
        Slot slot = acquire(conversation, cancellation);
        try {
            cancellation.onCancel(() -> cancelChat(slot.chat));
            return run(slot.chat, conversation, completion, listener, cancellation);
        } finally {
            cancellation.onCancel(null);
            release(slot);
        }
    }

    private GenerationResult run(
            Chat chat,
            RenderedConversation conversation,
            Completion completion,
            GenerationListener listener,
            Cancellation cancellation) {
        chat.replaceConversation(conversation);
        if (cancellation.isCancelled()) {
            throw new Llava4jException(Code.CANCELLED, "cancelled before generation");
        }
        // Chat.generate clears a cancel that came before it started: pass it on from the listener too
        GenerationResult r = chat.generate(completion.settings(), new GenerationListener() {
            @Override
            public void onText(String piece) {
                if (cancellation.isCancelled()) {
                    cancelChat(chat);
                    return;
                }
                listener.onText(piece);
            }

            @Override
            public void onPrefill(int done, int total) {
                if (cancellation.isCancelled()) {
                    cancelChat(chat);
                }
                listener.onPrefill(done, total);
            }

            @Override
            public void onImageEncoding(int image, int images, int done, int total) {
                listener.onImageEncoding(image, images, done, total);
            }
        });
        if (r.finishReason() == FinishReason.CANCELLED && r.generatedTokens() == 0) {
            throw new Llava4jException(Code.CANCELLED, "cancelled while evaluating the prompt");
        }
        return r;
    }

    private synchronized Slot acquire(RenderedConversation conversation, Cancellation cancellation) {
        checkOpen();
        if (free() == null) {
            if (waiting >= maxQueue) {
                throw new QueueFullException("all " + slots.size() + " sequences are busy and " + waiting
                        + " requests wait (--max-queue " + maxQueue + ")");
            }
            waiting++;
            cancellation.onCancel(this::wakeAll);
            try {
                while (free() == null && !closing && !cancellation.isCancelled()) {
                    wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Llava4jException(Code.CANCELLED, "interrupted while waiting for a sequence", e);
            } finally {
                waiting--;
                cancellation.onCancel(null);
            }
            checkOpen();
            if (cancellation.isCancelled()) {
                throw new Llava4jException(Code.CANCELLED, "cancelled while waiting for a sequence");
            }
        }
        Slot best = null;
        int bestKept = -1;
        for (Slot s : slots) {
            if (s.busy) {
                continue;
            }
            int kept = worth(s.chat.reusablePositions(conversation), s.chat.positions());
            // most positions kept; among equals the least recently used, to keep recent caches
            if (kept > bestKept || (kept == bestKept && s.lastUsed < best.lastUsed)) {
                best = s;
                bestKept = kept;
            }
        }
        best.busy = true;
        best.cancellation = cancellation;
        best.lastUsed = ++clock;
        busy++;
        return best;
    }

    /**
     * What keeping {@code kept} of the {@code held} positions of a chat is worth when choosing one:
     * {@code kept}, or 0 when it would discard more than it keeps (likely another client's
     * conversation, which that client's next request would have to evaluate again).
     */
    static int worth(int kept, int held) {
        return kept >= held - kept ? kept : 0;
    }

    private synchronized void release(Slot slot) {
        slot.busy = false;
        slot.cancellation = null;
        busy--;
        notifyAll();
    }

    private synchronized void wakeAll() {
        notifyAll();
    }

    private Slot free() {
        for (Slot s : slots) {
            if (!s.busy) {
                return s;
            }
        }
        return null;
    }

    private void checkOpen() {
        if (closing) {
            throw new Llava4jException(Code.CLOSED, "the server is shutting down");
        }
    }

    private static void cancelChat(Chat chat) {
        try {
            chat.cancel();
        } catch (Llava4jException e) {
            // closed meanwhile: nothing left to stop
        }
    }

    @Override
    public void shutdown(long graceMillis) {
        List<Cancellation> running = new ArrayList<>();
        synchronized (this) {
            closing = true;
            notifyAll();
            long end = System.currentTimeMillis() + graceMillis;
            try {
                for (long left = graceMillis; busy > 0 && left > 0; left = end - System.currentTimeMillis()) {
                    wait(left);
                }
                for (Slot s : slots) {
                    if (s.busy && s.cancellation != null) {
                        running.add(s.cancellation);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        running.forEach(Cancellation::cancel);
        synchronized (this) {
            try {
                while (busy > 0) {
                    wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                group.close();
            } catch (RuntimeException e) {
                // still generating after an interrupt: leave it to the model's owner
            }
        }
    }
}
