package io.llava4j.conversation;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.image.ChatImage;
import io.llava4j.model.ContextOptions;
import io.llava4j.model.Vocabulary;
import io.llava4j.nativeio.SharedHandle;
import io.llava4j.sampling.Sampler;
import io.llava4j.sampling.StopDetector;
import io.llava4j.sampling.Utf8Streamer;
import io.llava4j.template.ChatTemplate;
import io.llava4j.template.Message;
import io.llava4j.template.Role;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToIntFunction;

/**
 * One conversation with a {@link LlavaModel}: its turns, system prompt and settings, and the
 * {@link Sequence} (KV cache) that holds it.
 *
 * <p>Each {@link #generate} renders the conversation with the model's template into a {@link
 * Prompt} and has the sequence hold it: the longest prefix already held is kept and only the
 * rest is evaluated, so a follow-up question costs its own tokens and editing or truncating history
 * re-evaluates from the first change. An answer is kept as the tokens that were sampled, so the
 * next prompt continues from exactly what the cache holds (no detokenize-and-tokenize round trip);
 * answers before an edited or dropped turn stay as sampled too.
 * Images come from the model's {@link EmbeddingCache}: a picture seen before is not encoded again.
 *
 * <p>Image placement: see {@link Message}. A prompt with one image uses the model's full layout
 * (anyres tiles for LLaVA-NeXT); with several, each image uses LLaVA-NeXT's one-crop multi-image
 * layout ({@link EmbeddingKey.Layout#MULTI}).
 *
 * <p>Threading: one thread uses a chat at a time; a call made while {@link #generate} runs throws
 * {@code ILLEGAL_STATE}. {@link #cancel()} may be called from any thread. Close order: see {@link
 * LlavaModel}.
 */
public final class Chat implements AutoCloseable {
    private final LlavaModel model;
    private final ChatFile.Origin origin;
    private final Sequence sequence;
    private final ContextOptions options;
    private final ChatTemplate template;
    private final Vocabulary vocab;
    /** Token ids that end an answer besides the vocabulary's end-of-generation ones (no boxing per token). */
    private final BitSet stopTokens = new BitSet();

    private final List<Message> turns = new ArrayList<>();
    private final AtomicBoolean busy = new AtomicBoolean();
    /** Orders {@link #cancel()} against {@link #close()}: cancel never reaches a freed context. */
    private final Object cancelLock = new Object();

    private String systemPrompt;
    private GenerationSettings settings = GenerationSettings.defaults();
    private ContextPolicy contextPolicy = ContextPolicy.FAIL;
    private GenerationResult last;
    /** The answered prompts with their answers' tokens: what a prompt continues from. */
    private final Transcripts transcripts = new Transcripts();
    /** Tokens the next {@link #plan} takes instead of tokenizing, if it renders the same text; or null. */
    private RenderedConversation prepared;

    private volatile boolean cancelRequested;
    private volatile boolean closed;

    /** A chat with a context of its own. */
    Chat(LlavaModel model, ContextOptions options) {
        this(model, options, new Sequence(model.languageModel().newContext(options)));
    }

    /** A chat over {@code sequence} (its own context, or one sequence of a {@link ChatGroup}'s). */
    Chat(LlavaModel model, ContextOptions options, Sequence sequence) {
        this.model = model;
        this.origin = model.origin();
        this.options = options;
        this.sequence = sequence;
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

    /** What {@link #generate} does when the turns do not fit the context ({@code FAIL} at first). */
    public ContextPolicy contextPolicy() {
        checkOpen();
        return contextPolicy;
    }

    public void setContextPolicy(ContextPolicy policy) {
        idle();
        this.contextPolicy = Objects.requireNonNull(policy, "policy");
    }

    /** Adds a user turn without images. */
    public void addUser(String text) {
        addUser(text, List.of());
    }

    /**
     * Adds a user turn; see {@link Message} for where its images go.
     *
     * @throws Llava4jException {@code ILLEGAL_STATE} if the previous question has no answer yet;
     *     {@code INVALID_ARGUMENT} if the text has markers but not one per image, or the model has
     *     no mmproj
     */
    public void addUser(String text, List<ChatImage> images) {
        idle();
        if (!turns.isEmpty() && turns.get(turns.size() - 1).role() == Role.USER) {
            throw new Llava4jException(
                    Code.ILLEGAL_STATE, "the previous question has no answer yet: generate, or removeLastTurn() first");
        }
        Message m = Message.user(text, images).requireOneMarkerPerImage();
        if (!images.isEmpty() && !model.canSee()) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    origin.languageModel() + " was opened without an mmproj: it cannot see images");
        }
        turns.add(m);
    }

    /**
     * Adds an answer that was not generated by this chat (e.g. a history an API client sends back);
     * the next {@link #generate} evaluates it as text.
     *
     * @throws Llava4jException {@code ILLEGAL_STATE} unless the last turn is a question
     */
    public void addAssistant(String text) {
        idle();
        if (turns.isEmpty() || turns.get(turns.size() - 1).role() != Role.USER) {
            throw new Llava4jException(Code.ILLEGAL_STATE, "an answer must follow a question");
        }
        turns.add(Message.assistant(text));
    }

    /** The turns so far, oldest first. */
    public List<Message> turns() {
        checkOpen();
        return List.copyOf(turns);
    }

    /**
     * Keeps the first {@code count} turns and drops the rest; the next {@link #generate} reuses
     * the KV cache up to the first dropped position.
     */
    public void truncate(int count) {
        idle();
        if (count < 0 || count > turns.size()) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT, "cannot keep " + count + " of " + turns.size() + " turns");
        }
        turns.subList(count, turns.size()).clear();
        transcripts.keepWithin(count);
    }

    /**
     * KV positions {@link #generate} keeps after {@link #replaceConversation}{@code (conversation)}:
     * the longest prefix of its prompt the cache holds, whatever turn or system prompt differs (unless
     * turns are dropped for room). Reads what the chat holds, never its context (safe while other
     * chats of its {@link ChatGroup} decode): compares held positions, and tokenizes the new turns
     * only when the chat holds more than its last kept answer.
     *
     * @throws Llava4jException {@code INVALID_ARGUMENT} if {@code conversation} was rendered for
     *     another model; {@code ILLEGAL_STATE} while generating
     */
    public int reusablePositions(RenderedConversation conversation) {
        idle();
        conversation.requireModel(model);
        int common = RenderedConversation.commonTurns(turns, conversation.turns());
        return conversation.keptBy(sequence, transcripts.within(common), vocab);
    }

    /**
     * Makes {@code conversation}'s system prompt and turns this chat's, ready for {@link #generate}:
     * the turns both share stay (answers as sampled), the others are replaced; generate then keeps
     * {@link #reusablePositions} and evaluates the rest from {@code conversation}'s tokens.
     *
     * @throws Llava4jException {@code INVALID_ARGUMENT} if {@code conversation} was rendered for
     *     another model; {@code ILLEGAL_STATE} while generating
     */
    public void replaceConversation(RenderedConversation conversation) {
        idle();
        conversation.requireModel(model);
        List<Message> wanted = conversation.turns();
        int common = RenderedConversation.commonTurns(turns, wanted);
        truncate(common);
        systemPrompt = conversation.systemPrompt();
        turns.addAll(wanted.subList(common, wanted.size()));
        prepared = conversation;
    }

    /** Drops the last turn (e.g. a question whose evaluation was cancelled); nothing if empty. */
    public void removeLastTurn() {
        truncate(Math.max(0, turns.size() - 1));
    }

    /** Replaces the text of turn {@code index} (its images stay) and drops the turns after it. */
    public void edit(int index, String text) {
        idle();
        if (index < 0 || index >= turns.size()) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "no turn " + index + " (there are " + turns.size() + ")");
        }
        Message t = turns.get(index);
        truncate(index);
        if (t.role() == Role.USER) {
            addUser(text, t.images());
        } else {
            turns.add(Message.assistant(text));
        }
    }

    /** Forgets all turns (the system prompt and settings stay); cached images stay cached. */
    public void clear() {
        truncate(0);
    }

    /**
     * Saves this conversation to {@code file}, replaced atomically; see {@link ChatFile} for the
     * format. Works after the model was closed.
     *
     * @param withKvState also save the KV cache, so that resuming evaluates nothing again (about
     *     {@code 2 * layers * kv_width * 2} bytes per position for F16 caches, e.g. 0.5 MB per
     *     position for a 7B LLaMA); ignored for a chat of a {@link ChatGroup}
     * @throws Llava4jException {@code IO} if writing fails, {@code ILLEGAL_STATE} while generating
     */
    public void save(Path file, boolean withKvState) {
        idle();
        ChatFile.write(file, origin, snapshot(), withKvState && sequence.savable() ? sequence : null);
    }

    /** KV positions this chat's cache holds (prompt, answers and images evaluated so far). */
    public int positions() {
        checkOpen();
        return sequence.positions();
    }

    /** KV positions the chat's context has room for. */
    public int capacity() {
        checkOpen();
        return sequence.capacity();
    }

    /** The result of the last {@link #generate}, if any. */
    public GenerationResult lastResult() {
        checkOpen();
        return last;
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
     *
     * @throws Llava4jException {@code CLOSED} once the chat is closed (never a freed context, also
     *     when racing {@link #close()})
     */
    public void cancel() {
        synchronized (cancelLock) {
            checkOpen();
            cancelRequested = true;
            sequence.cancel();
        }
    }

    /**
     * Frees the KV cache (idempotent). After close every method but this one throws {@code CLOSED}.
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
        synchronized (cancelLock) {
            closed = true;
        }
        sequence.close();
    }

    /** What a saved conversation needs: turns, settings and the tokens of the last answer. */
    ChatFile.Snapshot snapshot() {
        return new ChatFile.Snapshot(systemPrompt, settings, List.copyOf(turns), transcripts.within(turns.size()));
    }

    /**
     * Replaces turns, settings and transcript with a saved conversation's, and the KV cache with
     * its saved state if {@code kv} is given; the KV cache is emptied otherwise.
     */
    void restore(ChatFile.Snapshot saved, ChatFile.KvState kv) {
        idle();
        systemPrompt = saved.systemPrompt();
        settings = saved.settings();
        turns.clear();
        turns.addAll(saved.turns());
        transcripts.clear();
        transcripts.add(saved.transcript());
        if (kv != null) {
            sequence.restore(kv.units(), kv.in(), kv.size());
        } else {
            sequence.clear();
        }
    }

    /** What one answer evaluates: the rendered turns, their images, the prompt, turns dropped for it. */
    private record Plan(String rendered, List<ChatImage> images, Prompt prompt, int droppedTurns) {}

    private GenerationResult run(GenerationSettings settings, GenerationListener listener) {
        long t0 = System.nanoTime();
        Plan plan = plan(settings, listener);
        long t1 = System.nanoTime();
        int reused = sequence.reuse(plan.prompt());
        sequence.begin();
        try {
            return evaluateAndAnswer(settings, listener, t0, t1, plan, reused);
        } finally {
            sequence.end();
        }
    }

    /**
     * The prompt of the turns; with {@link ContextPolicy#DROP_OLDEST_TURNS}, the oldest question
     * and answer pairs after the system prompt are dropped (whole, with their images; never the last
     * question) until the prompt leaves room for {@link #answerRoom} positions.
     */
    private Plan plan(GenerationSettings settings, GenerationListener listener) {
        int dropped = 0;
        while (true) {
            String rendered = template.render(systemPrompt, turns);
            List<ChatImage> images = allImages();
            Prompt prompt = prompt(rendered, images, listener);
            boolean fits = prompt.positions() + answerRoom(settings) <= sequence.capacity();
            if (fits || contextPolicy == ContextPolicy.FAIL || turns.size() < 3) {
                return new Plan(rendered, images, prompt, dropped);
            }
            turns.subList(0, 2).clear();
            transcripts.clear();
            dropped += 2;
        }
    }

    /**
     * Positions an answer needs room for before {@link ContextPolicy#DROP_OLDEST_TURNS} drops turns:
     * the answer's token limit, at most a quarter of the context.
     */
    private int answerRoom(GenerationSettings settings) {
        return Math.min(settings.maxTokens(), sequence.capacity() / 4);
    }

    /** The part of an answer during which the sequence decodes (between begin and end). */
    private GenerationResult evaluateAndAnswer(
            GenerationSettings settings, GenerationListener listener, long t0, long t1, Plan plan, int reused) {
        String rendered = plan.rendered();
        List<ChatImage> images = plan.images();
        Prompt prompt = plan.prompt();
        try {
            sequence.evaluate(
                    prompt, named -> embedNamed(named, images, listener), listener::onPrefill, () -> cancelRequested);
        } catch (Llava4jException e) {
            if (e.code() != Code.CANCELLED) {
                throw e;
            }
            long t2 = System.nanoTime();
            return new GenerationResult(
                    "",
                    FinishReason.CANCELLED,
                    prompt.positions(),
                    reused,
                    sequence.positions() - reused,
                    prompt.imagePositions(),
                    0,
                    millis(t1 - t0),
                    millis(t2 - t1),
                    0,
                    plan.droppedTurns());
        }
        long t2 = System.nanoTime();
        int evaluatedPositions = sequence.positions() - reused;

        Sampler sampler = Sampler.create(settings.sampler(), vocab.size());
        StringBuilder answer = new StringBuilder();
        List<String> stops = new ArrayList<>(template.stopStrings());
        stops.addAll(settings.extraStopStrings());
        StopDetector detector = new StopDetector(stops, piece -> {
            answer.append(piece);
            listener.onText(piece);
        });
        Utf8Streamer streamer = new Utf8Streamer(detector::offer);
        Vocabulary.PieceSink toStreamer = streamer::accept;
        ToIntFunction<FloatBuffer> sample = sampler::sample;
        prompt.forEachToken(sampler::accept);
        int[] sampled = new int[Math.max(1, Math.min(settings.maxTokens(), sequence.capacity()))];
        int count = 0;
        int generated = 0;
        FinishReason finish;
        while (true) {
            if (cancelRequested) {
                finish = FinishReason.CANCELLED;
                break;
            }
            int token = sequence.sample(sample);
            generated++;
            if (vocab.isEndOfGeneration(token) || stopTokens.get(token)) {
                finish = FinishReason.STOP;
                break;
            }
            sampler.accept(token);
            sampled[count++] = token;
            vocab.piece(token, toStreamer);
            if (detector.stopped()) {
                finish = FinishReason.STOP;
                break;
            }
            if (generated >= settings.maxTokens() || sequence.positions() >= sequence.capacity()) {
                finish = FinishReason.LENGTH;
                break;
            }
            try {
                sequence.append(token);
            } catch (Llava4jException e) {
                if (e.code() != Code.CANCELLED) {
                    throw e;
                }
                finish = FinishReason.CANCELLED;
                break;
            }
        }
        streamer.flush();
        detector.flush();
        long t3 = System.nanoTime();
        String text = answer.toString();
        turns.add(Message.assistant(text));
        transcripts.add(Transcript.after(
                rendered, prompt, vocab, sampled, count, text, turns, EmbeddingKey.Layout.of(images.size())));
        return new GenerationResult(
                text,
                finish,
                prompt.positions(),
                reused,
                evaluatedPositions,
                prompt.imagePositions(),
                generated,
                millis(t1 - t0),
                millis(t2 - t1),
                millis(t3 - t2),
                plan.droppedTurns());
    }

    /**
     * The prompt for {@code rendered}: the last transcript's units and the tokens of what follows
     * its answer when the conversation continues it, else the whole rendering tokenized (or the
     * tokens of the conversation {@link #replaceConversation} gave, if it renders alike).
     */
    private Prompt prompt(String rendered, List<ChatImage> images, GenerationListener listener) {
        EmbeddingKey.Layout layout = EmbeddingKey.Layout.of(images.size());
        List<Unit> units = new ArrayList<>();
        int firstImage = 0;
        List<int[]> texts;
        RenderedConversation given = prepared;
        prepared = null; // its turns are the chat's only until the first plan
        Transcript from = transcripts.within(turns.size());
        String continuation = from != null ? from.continuation(rendered, turns, layout) : null;
        if (continuation != null) {
            units.addAll(from.units());
            firstImage = from.images();
            texts = RenderedConversation.tokenize(vocab, continuation, images.size() - firstImage, false);
        } else if (given != null && given.rendered().equals(rendered)) {
            texts = given.texts();
        } else {
            texts = RenderedConversation.tokenize(vocab, rendered, images.size(), true);
        }
        for (int i = 0; i < texts.size(); i++) {
            if (i > 0) {
                int index = firstImage + i - 1;
                units.add(embed(images.get(index), layout, index, images.size(), listener));
            }
            if (texts.get(i).length > 0) {
                units.add(new Unit.Tokens(texts.get(i)));
            }
        }
        return Prompt.of(units);
    }

    /** One image as a unit to evaluate; the embeddings come from the model's cache or are encoded. */
    private Unit.Image embed(
            ChatImage image, EmbeddingKey.Layout layout, int index, int count, GenerationListener listener) {
        return model.embed(
                image,
                layout,
                options.batchThreads(),
                (done, total) -> listener.onImageEncoding(index, count, done, total));
    }

    /** The floats of an image the transcript names only (fetched when the sequence must evaluate it). */
    private Unit.Image embedNamed(Unit.Image named, List<ChatImage> images, GenerationListener listener) {
        for (int i = 0; i < images.size(); i++) {
            if (images.get(i).sha256().equals(named.key().imageSha256())) {
                return embed(images.get(i), named.key().layout(), i, images.size(), listener);
            }
        }
        throw new IllegalStateException("image " + named.key().id() + " is in the transcript but in no turn");
    }

    private List<ChatImage> allImages() {
        List<ChatImage> images = new ArrayList<>();
        for (Message t : turns) {
            images.addAll(t.images());
        }
        return images;
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
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
