package io.llava4j.cli.repl;

import io.llava4j.conversation.GenerationResult;
import java.util.Locale;

/** What {@code /stats} shows: the last answer's counts and timings, and totals over the session. */
final class TurnStats {
    private GenerationResult last;
    private int turns;
    private long evaluated;
    private long reused;
    private long generated;
    private long encodeMillis;
    private long prefillMillis;
    private long generateMillis;

    void add(GenerationResult r) {
        last = r;
        turns++;
        evaluated += r.evaluatedPositions();
        reused += r.reusedPositions();
        generated += r.generatedTokens();
        encodeMillis += r.encodeMillis();
        prefillMillis += r.prefillMillis();
        generateMillis += r.generateMillis();
    }

    /** Two lines (last answer, totals), or one saying there is nothing yet. */
    String describe() {
        if (last == null) {
            return "no answers yet";
        }
        GenerationResult r = last;
        return String.format(
                Locale.ROOT,
                "last answer: prompt %d positions (%d image, %d reused, %d evaluated in %d ms, %.1f/s),"
                        + " encode %d ms, generated %d tokens in %d ms (%.1f tok/s), %s%n"
                        + "session: %d answers, %d positions evaluated, %d reused, %d tokens generated,"
                        + " encode %d ms, prompt %d ms, generation %d ms",
                r.promptPositions(),
                r.imagePositions(),
                r.reusedPositions(),
                r.evaluatedPositions(),
                r.prefillMillis(),
                r.prefillPerSecond(),
                r.encodeMillis(),
                r.generatedTokens(),
                r.generateMillis(),
                r.generatePerSecond(),
                r.finishReason().name().toLowerCase(Locale.ROOT),
                turns,
                evaluated,
                reused,
                generated,
                encodeMillis,
                prefillMillis,
                generateMillis);
    }
}
