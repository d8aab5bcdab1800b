package io.llava4j.conversation;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.chat.ChatTemplate;
import io.llava4j.chat.Message;
import io.llava4j.chat.PromptLayout;
import io.llava4j.chat.Role;
import io.llava4j.image.RgbImage;
import io.llava4j.model.ContextOptions;
import io.llava4j.model.InferenceContext;
import io.llava4j.model.Vocabulary;
import io.llava4j.sampling.Sampler;
import io.llava4j.sampling.StopDetector;
import io.llava4j.sampling.Utf8Streamer;
import io.llava4j.vision.ImageEmbedder.ImageEmbedding;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One conversation with a {@link LlavaModel}: messages with images, rendered with the model's
 * template, evaluated in its own KV cache.
 *
 * <p>Each {@link #generate} renders the whole conversation, keeps the longest prefix the KV cache
 * already holds and evaluates only the rest, so a follow-up question costs its own tokens. Images
 * are encoded once per chat.
 *
 * <p>Not thread-safe, except {@link #cancel()}. Closing frees the context, not the model.
 */
public final class Chat implements AutoCloseable {
    private final LlavaModel model;
    private final InferenceContext ctx;
    private final ContextOptions options;
    private final ChatTemplate template;
    private final Vocabulary vocab;
    private final Set<Integer> stopTokens = new HashSet<>();
    private final List<Message> messages = new ArrayList<>();
    private final List<RgbImage> images = new ArrayList<>();
    private final Map<Integer, ImageEmbedding> embeddings = new HashMap<>();
    /** What the KV cache holds: token ids, or -(i + 1) for all embeddings of image i. */
    private final List<Integer> evaluated = new ArrayList<>();
    private String systemPrompt;
    private volatile boolean cancelRequested;

    Chat(LlavaModel model, ContextOptions options) {
        this.model = model;
        this.options = options;
        this.ctx = model.languageModel().newContext(options);
        this.template = model.template().template();
        this.vocab = model.languageModel().vocabulary();
        for (String text : template.stopTokenTexts()) {
            int[] ids = vocab.tokenize(text, false, true);
            if (ids.length == 1) {
                stopTokens.add(ids[0]);
            }
        }
    }

    /** Sets the system prompt: null for the template's default, "" for none. */
    public void setSystemPrompt(String prompt) {
        this.systemPrompt = prompt;
    }

    /**
     * Adds a user turn. The images are placed where the template puts them (LLaVA: before the
     * text), or at the {@code <image>} markers the text contains.
     *
     * @throws Llava4jException {@code ILLEGAL_STATE} if the previous user turn has no answer yet
     */
    public void addUser(String text, List<RgbImage> turnImages) {
        if (!messages.isEmpty() && messages.get(messages.size() - 1).role() == Role.USER) {
            throw new Llava4jException(Code.ILLEGAL_STATE, "the previous question has no answer yet: generate first");
        }
        messages.add(Message.user(text, turnImages.size()));
        images.addAll(turnImages);
    }

    /** The messages so far, oldest first. */
    public List<Message> messages() {
        return List.copyOf(messages);
    }

    /** The model's context for this chat. */
    public InferenceContext context() {
        return ctx;
    }

    /**
     * Answers the last user turn and appends the answer (also a partial one after a cancel).
     *
     * @throws Llava4jException {@code CONTEXT_FULL} if the prompt does not fit, {@code ILLEGAL_STATE}
     *     if the last message is not a user turn
     */
    public GenerationResult generate(GenerationSettings settings, GenerationListener listener) {
        if (messages.isEmpty() || messages.get(messages.size() - 1).role() != Role.USER) {
            throw new Llava4jException(Code.ILLEGAL_STATE, "add a user message before generating");
        }
        cancelRequested = false;
        String prompt = template.render(systemPrompt, messages);
        PromptLayout layout = PromptLayout.of(prompt).requireImages(images.size());

        long t0 = System.nanoTime();
        List<Integer> units = new ArrayList<>();
        for (PromptLayout.Part part : layout.parts()) {
            if (part instanceof PromptLayout.Text text) {
                for (int id : vocab.tokenize(text.text(), text.addBos(), true)) {
                    units.add(id);
                }
            } else if (part instanceof PromptLayout.Image image) {
                embeddings.computeIfAbsent(image.index(), i -> model.embed(images.get(i), options.batchThreads()));
                units.add(-(image.index() + 1));
            }
        }
        long t1 = System.nanoTime();

        int promptPositions = positions(units, units.size());
        int imagePositions = promptPositions - (int) units.stream().filter(u -> u >= 0).count();
        if (promptPositions >= ctx.contextLength()) {
            throw new Llava4jException(Code.CONTEXT_FULL, "the prompt needs " + promptPositions + " positions ("
                    + imagePositions + " of them image embeddings) but the context holds " + ctx.contextLength()
                    + ": use a larger context (--ctx) or fewer/smaller images");
        }
        int keep = commonPrefix(units);
        if (keep == units.size()) {
            keep--; // the last position must be evaluated again to have logits
        }
        int reused = positions(units, keep);
        ctx.truncate(reused);
        truncateEvaluated(keep);

        Sampler sampler = Sampler.create(settings.sampler(), vocab.size());
        StringBuilder answer = new StringBuilder();
        List<String> stops = new ArrayList<>(template.stopStrings());
        stops.addAll(settings.extraStopStrings());
        StopDetector detector = new StopDetector(stops, piece -> {
            answer.append(piece);
            listener.onText(piece);
        });
        Utf8Streamer streamer = new Utf8Streamer(detector::offer);

        FinishReason finish = null;
        try {
            evaluate(units, keep);
        } catch (Llava4jException e) {
            if (e.code() != Code.CANCELLED) {
                throw e;
            }
            finish = FinishReason.CANCELLED;
        }
        long t2 = System.nanoTime();
        int evaluatedPositions = ctx.position() - reused;
        int generated = 0;
        if (finish == null) {
            for (int unit : units) {
                if (unit >= 0) {
                    sampler.accept(unit);
                }
            }
            while (true) {
                if (cancelRequested) {
                    finish = FinishReason.CANCELLED;
                    break;
                }
                int token = sampler.sample(ctx.logits());
                generated++;
                if (vocab.isEndOfGeneration(token) || stopTokens.contains(token)) {
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
                evaluated.add(token);
            }
        }
        streamer.flush();
        detector.flush();
        long t3 = System.nanoTime();
        messages.add(Message.assistant(answer.toString()));
        return new GenerationResult(answer.toString(), finish, promptPositions, reused, evaluatedPositions,
                imagePositions, generated, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000);
    }

    /**
     * Stops a running {@link #generate} from any thread: generation at once, prompt evaluation
     * within one batch. The chat stays usable.
     */
    public void cancel() {
        cancelRequested = true;
        ctx.cancel();
    }

    @Override
    public void close() {
        ctx.close();
    }

    /** Evaluates units[from..] after the KV cache's prefix, tokens in runs, images whole. */
    private void evaluate(List<Integer> units, int from) {
        int i = from;
        while (i < units.size()) {
            if (cancelRequested) {
                throw new Llava4jException(Code.CANCELLED, "cancelled");
            }
            int unit = units.get(i);
            if (unit < 0) {
                ImageEmbedding e = embeddings.get(-unit - 1);
                decodeTracked(() -> ctx.decodeEmbeddings(e.data(), 0, e.tokens()), units, i, i + 1);
                i++;
            } else {
                int j = i;
                while (j < units.size() && units.get(j) >= 0) {
                    j++;
                }
                int[] run = new int[j - i];
                for (int k = i; k < j; k++) {
                    run[k - i] = units.get(k);
                }
                decodeTracked(() -> ctx.decode(run, 0, run.length), units, i, j);
                i = j;
            }
        }
    }

    /** Runs a decode of units[from, to) and records what the KV cache then holds, also on failure. */
    private void decodeTracked(Runnable decode, List<Integer> units, int from, int to) {
        int start = ctx.position();
        try {
            decode.run();
            evaluated.addAll(units.subList(from, to));
        } catch (Llava4jException e) {
            // keep whole units only: tokens that made it in, never half an image
            int done = ctx.position() - start;
            int k = from;
            while (k < to && units.get(k) >= 0 && done > 0) {
                evaluated.add(units.get(k));
                k++;
                done--;
            }
            ctx.truncate(positions(units, k));
            throw e;
        }
    }

    private int commonPrefix(List<Integer> units) {
        int n = Math.min(units.size(), evaluated.size());
        int k = 0;
        while (k < n && units.get(k).equals(evaluated.get(k))) {
            k++;
        }
        return k;
    }

    private void truncateEvaluated(int keep) {
        while (evaluated.size() > keep) {
            evaluated.remove(evaluated.size() - 1);
        }
    }

    /** Positions taken by the first n units. */
    private int positions(List<Integer> units, int n) {
        int p = 0;
        for (int i = 0; i < n; i++) {
            int u = units.get(i);
            p += u >= 0 ? 1 : embeddings.get(-u - 1).tokens();
        }
        return p;
    }
}
