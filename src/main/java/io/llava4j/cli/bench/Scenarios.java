package io.llava4j.cli.bench;

import io.llava4j.conversation.Chat;
import io.llava4j.conversation.ChatGroup;
import io.llava4j.conversation.GenerationListener;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.image.ChatImage;
import io.llava4j.model.ContextOptions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The bench's scenarios: warm-up runs, then measured runs, each llava4j run followed by one of the
 * compared tool (interleaved, so that a change in the machine's load touches both alike), with a
 * one-line progress note per run on stderr.
 */
public final class Scenarios {
    private final LlavaRuns runs;
    private final int warmup;
    private final int reps;
    private final PrintWriter progress;

    public Scenarios(LlavaRuns runs, int warmup, int reps, PrintWriter progress) {
        this.runs = runs;
        this.warmup = warmup;
        this.reps = reps;
        this.progress = progress;
    }

    /**
     * One question per run, each with a freshly loaded model; with {@code other} (null: none) a run of
     * that tool after each of ours.
     */
    public void first(BenchReport report, Supplier<MtmdCli> other) {
        List<LlavaSample> ours = new ArrayList<>();
        List<MtmdSample> theirs = new ArrayList<>();
        for (int i = 0; i < warmup + reps; i++) {
            LlavaSample s = runs.first();
            String line = describe(s);
            MtmdSample m = null;
            if (other != null) {
                m = other.get().run();
                line += String.format(
                        Locale.ROOT,
                        " | llama-mtmd-cli: first token %.0f ms, %.1f tok/s",
                        m.firstTokenMs(),
                        m.generationPerSecond());
            }
            note(i, line);
            if (i >= warmup) {
                ours.add(s);
                if (m != null) {
                    theirs.add(m);
                }
            }
        }
        PhaseRows.first(report, ours, other != null ? theirs : null, runs.rssPerRun());
    }

    /** A question, then {@code question} about the same image in the same chat, per run. */
    public void followup(BenchReport report, String question) {
        List<LlavaSample> first = new ArrayList<>();
        List<LlavaSample> second = new ArrayList<>();
        for (int i = 0; i < warmup + reps; i++) {
            List<LlavaSample> pair = runs.followup(question);
            note(
                    i,
                    describe(pair.get(0))
                            + String.format(
                                    Locale.ROOT,
                                    " | follow-up: first token %.0f ms",
                                    pair.get(1).firstTokenMs()));
            if (i >= warmup) {
                first.add(pair.get(0));
                second.add(pair.get(1));
            }
        }
        PhaseRows.first(report, first, null, runs.rssPerRun());
        PhaseRows.followup(report, first, second);
    }

    /** The server compared in the streams scenario: started once per stream count, a round per call. */
    public interface StreamsTool {
        /** Starts the server with {@code count} slots. */
        LlamaServer start(int count);

        /** One round of {@code count} concurrent requests to it. */
        StreamsSample round(LlamaServer server, int count) throws InterruptedException;
    }

    /**
     * For each count, rounds of that many concurrent chats of one model (loaded once; the image is
     * encoded once before the rounds, so they measure evaluation and generation), each round asking
     * the same question again in the same chats, as clients repeating a request to a server; with
     * {@code other} (null: none) a round of that server after each of ours. The warm-up rounds
     * evaluate the whole prompt, the measured ones what the previous round's answer displaced.
     */
    public void streams(
            BenchReport report,
            Supplier<LlavaModel> opener,
            List<Integer> counts,
            ContextOptions context,
            GenerationSettings settings,
            ChatImage image,
            String prompt,
            StreamsTool other)
            throws InterruptedException {
        try (LlavaModel llava = opener.get()) {
            try (Chat prime = llava.newChat(context)) {
                prime.addUser(prompt, List.of(image));
                prime.generate(settings.withMaxTokens(1), GenerationListener.none());
            }
            for (int count : counts) {
                List<StreamsSample> samples = new ArrayList<>();
                List<StreamsSample> theirs = new ArrayList<>();
                try (ChatGroup group = runs.streamsGroup(llava, count);
                        LlamaServer server = other != null ? other.start(count) : null) {
                    for (int i = 0; i < warmup + reps; i++) {
                        StreamsSample s = runs.streams(group);
                        String line = String.format(
                                Locale.ROOT,
                                "%d streams: %d tokens, %.1f tok/s together",
                                count,
                                s.generatedTokens(),
                                s.aggregatePerSecond());
                        StreamsSample t = null;
                        if (server != null) {
                            t = other.round(server, count);
                            line += String.format(
                                    Locale.ROOT,
                                    " | llama-server: %d tokens, %.1f tok/s together",
                                    t.generatedTokens(),
                                    t.aggregatePerSecond());
                        }
                        note(i, line);
                        if (i >= warmup) {
                            samples.add(s);
                            if (t != null) {
                                theirs.add(t);
                            }
                        }
                    }
                }
                PhaseRows.streams(report, count, samples, other != null ? theirs : null);
            }
        }
    }

    private void note(int i, String text) {
        String which = i < warmup ? "warm-up " + (i + 1) + "/" + warmup : "run " + (i - warmup + 1) + "/" + reps;
        progress.println("llava4j bench: " + which + ": " + text);
        progress.flush();
    }

    private static String describe(LlavaSample s) {
        return String.format(
                Locale.ROOT,
                "load %.0f ms, encode %.0f ms, prefill %.1f pos/s, %d tokens at %.1f tok/s, first token %.0f ms",
                s.loadMs(),
                s.encodeMs(),
                s.prefillPerSecond(),
                s.result().generatedTokens(),
                s.generationPerSecond(),
                s.firstTokenMs());
    }
}
