package io.llava4j.conversation;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.template.ChatTemplate;
import io.llava4j.template.Message;
import io.llava4j.template.PromptLayout;
import io.llava4j.template.Role;
import io.llava4j.model.ContextOptions;
import io.llava4j.model.InferenceContext;
import io.llava4j.model.Vocabulary;
import io.llava4j.nativeio.SharedHandle;
import io.llava4j.sampling.Sampler;
import io.llava4j.sampling.StopDetector;
import io.llava4j.sampling.Utf8Streamer;
import io.llava4j.vision.ImageEmbedder.ImageEmbedding;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToIntFunction;

/**
 * One conversation with a {@link LlavaModel}: turns with text and images, rendered with the
 * model's template and evaluated in the chat's own KV cache.
 *
 * <p>Each {@link #generate} renders the whole conversation, keeps the longest prefix the KV cache
 * already holds ({@link PromptState}) and evaluates only the rest: a follow-up question costs its
 * own tokens, and editing or truncating history re-evaluates from the first change. Images come
 * from the model's {@link EmbeddingCache}, so a picture seen before is not encoded again.
 *
 * <p>Image placement: markers ({@code <image>}) in the text place the turn's images in order (as
 * many as there are images); otherwise LLaVA's CLI rule puts {@code "<image>\n"} per image before
 * the text. A prompt with one image uses the model's full layout (anyres tiles for LLaVA-NeXT);
 * with several, each image uses LLaVA-NeXT's one-crop multi-image layout ({@link
 * EmbeddingKey.Layout#MULTI}).
 *
 * <p>Threading: one thread uses a chat at a time; a call made while {@link #generate} runs throws
 * {@code ILLEGAL_STATE}. {@link #cancel()} may be called from any thread. Closing frees the
 * context, not the model; close every chat before its model.
 */
public final class Chat implements AutoCloseable {
    private final LlavaModel model;
    private final InferenceContext ctx;
    private final ContextOptions options;
    private final ChatTemplate template;
    private final Vocabulary vocab;
    /** Token ids that end an answer besides the vocabulary's end-of-generation ones (a BitSet: no boxing per token). */
    private final BitSet stopTokens = new BitSet();
    private final List<ChatTurn> turns = new ArrayList<>();
    private final PromptState state = new PromptState();
    private final AtomicBoolean busy = new AtomicBoolean();
    private String systemPrompt;
    private GenerationSettings settings = GenerationSettings.defaults();
    private GenerationResult last;
    private volatile boolean cancelRequested;
    private volatile boolean closed;

    Chat(LlavaModel model, ContextOptions options) {
        this.model = model;
        this.options = options;
        this.ctx = model.languageModel().newContext(options);
        this.template = model.template().template();
        this.vocab = model.languageModel().vocabulary();
        for (String text : template.stopTokenTexts()) {
            int[] ids = vocab.tokenize(text, false, true);
            if (ids.length == 1) {
                stopTokens.set(ids[0]);
            }
        }
    }

    /** Sets the system prompt: null for the template's default, "" for none. */
    public void setSystemPrompt(String prompt) {
        idle();
        this.systemPrompt = prompt;
    }

    /** The system prompt set, or null for the template's default. */
    public String systemPrompt() {
        checkOpen();
        return systemPrompt;
    }

    /** The settings {@link #generate(GenerationListener)} uses (LLaVA's CLI defaults at first). */
    public GenerationSettings settings() {
        checkOpen();
        return settings;
    }

    public void setSettings(GenerationSettings settings) {
        idle();
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** Adds a user turn without images. */
    public void addUser(String text) {
        addUser(text, List.of());
    }

    /**
     * Adds a user turn; see the class description for where its images go.
     *
     * @throws Llava4jException {@code ILLEGAL_STATE} if the previous question has no answer yet;
     *     {@code INVALID_ARGUMENT} if the text has markers but not one per image
     */
    public void addUser(String text, List<ChatImage> images) {
        idle();
        if (!turns.isEmpty() && turns.get(turns.size() - 1).role() == Role.USER) {
            throw new Llava4jException(Code.ILLEGAL_STATE,
                    "the previous question has no answer yet: generate, or removeLastTurn() first");
        }
        int markers = PromptLayout.of(text).imageCount();
        if (markers > 0 && markers != images.size()) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "the text has " + markers + " " + Message.IMAGE_MARKER
                    + " markers for " + images.size() + " images: give one marker per image, or none");
        }
        if (!images.isEmpty() && !model.canSee()) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, model.languageModel().path().getFileName()
                    + " was opened without an mmproj: it cannot see images");
        }
        turns.add(new ChatTurn(Role.USER, text, images));
    }

    /** The turns so far, oldest first. */
    public List<ChatTurn> turns() {
        checkOpen();
        return List.copyOf(turns);
    }

    /** The turns as the template sees them (image markers in place). */
    public List<Message> messages() {
        checkOpen();
        List<Message> out = new ArrayList<>(turns.size());
        for (ChatTurn t : turns) {
            out.add(t.role() == Role.USER ? Message.user(t.promptText()) : Message.assistant(t.text()));
        }
        return out;
    }

    /**
     * Keeps the first {@code count} turns and drops the rest; the next {@link #generate} reuses
     * the KV cache up to the first dropped position.
     */
    public void truncate(int count) {
        idle();
        if (count < 0 || count > turns.size()) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "cannot keep " + count + " of " + turns.size() + " turns");
        }
        turns.subList(count, turns.size()).clear();
    }

    /** Drops the last turn (e.g. a question whose evaluation was cancelled); nothing if empty. */
    public void removeLastTurn() {
        truncate(Math.max(0, turns.size() - 1));
    }

    /**
     * Replaces the text of turn {@code index} (its images stay) and drops the turns after it.
     */
    public void edit(int index, String text) {
        idle();
        if (index < 0 || index >= turns.size()) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "no turn " + index + " (there are " + turns.size() + ")");
        }
        ChatTurn t = turns.get(index);
        truncate(index);
        if (t.role() == Role.USER) {
            addUser(text, t.images());
        } else {
            turns.add(new ChatTurn(Role.ASSISTANT, text, List.of()));
        }
    }

    /** Forgets all turns (the system prompt and settings stay); cached images stay cached. */
    public void clear() {
        truncate(0);
    }

    /**
     * Saves this conversation; see {@link ChatFile} for the format.
     *
     * @param withKvState also save the KV cache, so that resuming evaluates nothing again
     */
    public void save(Path file, boolean withKvState) {
        idle();
        ChatFile.save(this, file, withKvState);
    }

    /** The result of the last {@link #generate}, if any. */
    public GenerationResult lastResult() {
        checkOpen();
        return last;
    }

    /** The model's context for this chat. */
    public InferenceContext context() {
        checkOpen();
        return ctx;
    }

    /** The model this chat talks to. */
    public LlavaModel model() {
        checkOpen();
        return model;
    }

    /** Answers the last user turn with {@link #settings()}. */
    public GenerationResult generate(GenerationListener listener) {
        return generate(settings, listener);
    }

    /**
     * Answers the last user turn and appends the answer. After a cancel during generation the
     * partial answer is appended; after a cancel during prompt evaluation nothing is appended and
     * the question stays unanswered (generate again to go on where evaluation stopped, or
     * {@link #removeLastTurn()}).
     *
     * @throws Llava4jException {@code CONTEXT_FULL} if the prompt does not fit, {@code ILLEGAL_STATE}
     *     if the last turn is not a user turn or a generation is already running
     */
    public GenerationResult generate(GenerationSettings settings, GenerationListener listener) {
        checkOpen();
        if (!busy.compareAndSet(false, true)) {
            checkOpen(); // close() holds the busy flag for good
            throw new Llava4jException(Code.ILLEGAL_STATE, "this chat is already generating (one thread per chat)");
        }
        try {
            if (turns.isEmpty() || turns.get(turns.size() - 1).role() != Role.USER) {
                throw new Llava4jException(Code.ILLEGAL_STATE, "add a user message before generating");
            }
            cancelRequested = false;
            last = run(settings, listener);
            return last;
        } finally {
            busy.set(false);
        }
    }

    /**
     * Stops a running {@link #generate} from any thread: generation at once, prompt evaluation
     * within one batch. The chat stays usable.
     */
    public void cancel() {
        checkOpen();
        cancelRequested = true;
        ctx.cancel();
    }

    /**
     * Frees the context (idempotent). After close every method but this one throws {@code CLOSED}.
     *
     * @throws IllegalStateException while {@link #generate} runs on another thread: cancel first
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        // the busy flag doubles as the lock between generate and close: they never overlap
        if (!busy.compareAndSet(false, true)) {
            throw new IllegalStateException("close() while generating: cancel() and wait for generate to return");
        }
        closed = true;
        ctx.close();
    }

    private GenerationResult run(GenerationSettings settings, GenerationListener listener) {
        long t0 = System.nanoTime();
        PromptState.Prompt prompt = state.build(this, template.render(systemPrompt, messages()), listener);
        long t1 = System.nanoTime();
        if (prompt.positions() >= ctx.contextLength()) {
            throw new Llava4jException(Code.CONTEXT_FULL, "the prompt needs " + prompt.positions() + " positions ("
                    + prompt.imagePositions() + " of them image embeddings) but the context holds "
                    + ctx.contextLength() + ": use a larger context (--ctx) or fewer/smaller images");
        }
        int reused = state.reuse(ctx, prompt);
        FinishReason finish = null;
        try {
            state.evaluate(this, ctx, prompt, listener, () -> cancelRequested);
        } catch (Llava4jException e) {
            if (e.code() != Code.CANCELLED) {
                throw e;
            }
            finish = FinishReason.CANCELLED;
        }
        long t2 = System.nanoTime();
        int evaluatedPositions = ctx.position() - reused;
        if (finish != null) {
            return new GenerationResult("", finish, prompt.positions(), reused, evaluatedPositions,
                    prompt.imagePositions(), 0, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, 0);
        }

        Sampler sampler = Sampler.create(settings.sampler(), vocab.size());
        StringBuilder answer = new StringBuilder();
        List<String> stops = new ArrayList<>(template.stopStrings());
        stops.addAll(settings.extraStopStrings());
        StopDetector detector = new StopDetector(stops, piece -> {
            answer.append(piece);
            listener.onText(piece);
        });
        Utf8Streamer streamer = new Utf8Streamer(detector::offer);
        ToIntFunction<FloatBuffer> sample = sampler::sample;
        prompt.acceptTokens(sampler);
        int generated = 0;
        while (true) {
            if (cancelRequested) {
                finish = FinishReason.CANCELLED;
                break;
            }
            int token = ctx.readLogits(sample);
            generated++;
            if (vocab.isEndOfGeneration(token) || stopTokens.get(token)) {
                finish = FinishReason.STOP;
                break;
            }
            sampler.accept(token);
            streamer.accept(vocab.piece(token));
            if (detector.stopped()) {
                finish = FinishReason.STOP;
                break;
            }
            if (generated >= settings.maxTokens() || ctx.position() >= ctx.contextLength()) {
                finish = FinishReason.LENGTH;
                break;
            }
            try {
                ctx.decode(token);
            } catch (Llava4jException e) {
                if (e.code() != Code.CANCELLED) {
                    throw e;
                }
                finish = FinishReason.CANCELLED;
                break;
            }
            state.appendToken(token);
        }
        streamer.flush();
        detector.flush();
        long t3 = System.nanoTime();
        turns.add(new ChatTurn(Role.ASSISTANT, answer.toString(), List.of()));
        return new GenerationResult(answer.toString(), finish, prompt.positions(), reused, evaluatedPositions,
                prompt.imagePositions(), generated, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000,
                (t3 - t2) / 1_000_000);
    }

    /** The embeddings of one image, through the model's cache. */
    ImageEmbedding embed(ChatImage image, EmbeddingKey.Layout layout, int index, int count, GenerationListener listener) {
        return model.embed(image, layout, options.batchThreads(),
                (done, total) -> listener.onImageEncoding(index, count, done, total));
    }

    PromptState state() {
        return state;
    }

    Vocabulary vocabulary() {
        return vocab;
    }

    /** Replaces all turns and settings (loading a saved conversation); the KV cache is left to the caller. */
    void restore(String system, GenerationSettings s, List<ChatTurn> saved) {
        idle();
        systemPrompt = system;
        settings = s;
        turns.clear();
        turns.addAll(saved);
    }

    private void idle() {
        checkOpen();
        if (busy.get()) {
            throw new Llava4jException(Code.ILLEGAL_STATE, "this chat is generating: wait for it or cancel() first");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw SharedHandle.closed("this chat");
        }
    }
}
