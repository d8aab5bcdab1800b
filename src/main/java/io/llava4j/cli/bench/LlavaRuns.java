package io.llava4j.cli.bench;

import io.llava4j.conversation.Chat;
import io.llava4j.conversation.ChatGroup;
import io.llava4j.conversation.GenerationListener;
import io.llava4j.conversation.GenerationResult;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.image.ChatImage;
import io.llava4j.model.ContextOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The llava4j side of the benchmark: each scenario's runs, in this JVM.
 *
 * <p>Peak memory: before each run that loads the model the heap is collected and the process's
 * high-water mark is reset ({@link PeakRss#resetSelf()}), so each run's peak is its own: the JVM
 * (heap, code, threads) plus the native model, context and buffers. Where the kernel does not allow
 * the reset, the mark is the process's since the JVM started, and only its maximum means anything.
 */
public final class LlavaRuns {
    private final Supplier<LlavaModel> opener;
    private final ContextOptions context;
    private final GenerationSettings settings;
    private final ChatImage image;
    private final String prompt;
    private final String system;
    private boolean rssResettable = true;

    /**
     * @param opener opens the model pair (a fresh one per run that measures loading)
     * @param context each chat's context
     * @param settings greedy sampling and the token limit
     * @param image the picture asked about
     * @param prompt the question
     * @param system the system prompt, null for the template's
     */
    public LlavaRuns(
            Supplier<LlavaModel> opener,
            ContextOptions context,
            GenerationSettings settings,
            ChatImage image,
            String prompt,
            String system) {
        this.opener = opener;
        this.context = context;
        this.settings = settings;
        this.image = image;
        this.prompt = prompt;
        this.system = system;
    }

    /** Whether every peak so far was a run's own (the kernel let the high-water mark be reset). */
    public boolean rssPerRun() {
        return rssResettable;
    }

    /** Loads the model, asks the question about the image, closes the model. */
    public LlavaSample first() {
        return firstThen(null).get(0);
    }

    /**
     * As {@link #first()}, then asks {@code followup} (no new image) in the same chat.
     *
     * @return the first question's sample and the follow-up's (whose load is NaN)
     */
    public List<LlavaSample> followup(String followup) {
        return firstThen(followup);
    }

    private List<LlavaSample> firstThen(String followup) {
        System.gc();
        rssResettable &= PeakRss.resetSelf();
        long t0 = System.nanoTime();
        List<LlavaSample> samples = new ArrayList<>();
        try (LlavaModel llava = opener.get();
                Chat chat = llava.newChat(context)) {
            double loadMs = (System.nanoTime() - t0) / 1e6;
            chat.setSystemPrompt(system);
            chat.addUser(prompt, List.of(image));
            Timed first = timed(chat);
            double peak = peakMib();
            double java = JavaTokenCost.microsPerToken(
                    llava.languageModel().vocabulary(),
                    settings.sampler(),
                    llava.template().template().stopStrings());
            samples.add(new LlavaSample(loadMs, first.result, first.firstTokenMs, peak, java));
            if (followup != null) {
                chat.addUser(followup);
                Timed second = timed(chat);
                samples.add(new LlavaSample(Double.NaN, second.result, second.firstTokenMs, peakMib(), Double.NaN));
            }
        }
        return samples;
    }

    private Timed timed(Chat chat) {
        FirstText listener = new FirstText();
        long t0 = System.nanoTime();
        GenerationResult r = chat.generate(settings, listener);
        long end = System.nanoTime();
        long first = listener.at != 0 ? listener.at : end;
        return new Timed(r, (first - t0) / 1e6);
    }

    /**
     * Opens the {@code count} chats of one {@link ChatGroup} of {@code llava} that {@link
     * #streams(ChatGroup)} asks in every round.
     */
    public ChatGroup streamsGroup(LlavaModel llava, int count) {
        ChatGroup group = llava.newChatGroup(context, count);
        for (Chat chat : group.chats()) {
            chat.setSystemPrompt(system);
        }
        return group;
    }

    /**
     * Each chat of {@code group}, on its own thread, asks the question at the same moment, as a new
     * conversation: its turns are forgotten first, so what its KV cache still holds of the same
     * prompt from the round before is kept (as a server's slot keeps it for a repeated request) and
     * only the rest is evaluated. The image should be in the model's cache already.
     */
    public StreamsSample streams(ChatGroup group) throws InterruptedException {
        List<Chat> chats = group.chats();
        for (Chat chat : chats) {
            chat.clear();
            chat.addUser(prompt, List.of(image));
        }
        return StreamsRound.run(
                chats.size(),
                settings.maxTokens(),
                "bench-stream",
                (k, clock) -> chats.get(k)
                        .generate(settings, new GenerationListener() {
                            @Override
                            public void onText(String piece) {
                                if (!piece.isEmpty()) {
                                    clock.piece();
                                }
                            }
                        })
                        .generatedTokens());
    }

    private static double peakMib() {
        return PeakRss.selfPeakKib().isPresent() ? PeakRss.selfPeakKib().getAsLong() / 1024.0 : Double.NaN;
    }

    private record Timed(GenerationResult result, double firstTokenMs) {}

    /** Notes when the first piece of text arrives. */
    private static final class FirstText implements GenerationListener {
        volatile long at;

        @Override
        public void onText(String piece) {
            if (at == 0 && !piece.isEmpty()) {
                at = System.nanoTime();
            }
        }
    }
}
