package io.llava4j.conversation;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@link Transcript}s of a chat's answers, oldest first, for the turns it still has: a prompt
 * continues from the latest one its turns keep, so editing or dropping a turn keeps the answers
 * before it as their sampled tokens. Bounded by the context, which their turns fit.
 *
 * <p>Not thread-safe: its chat's.
 */
final class Transcripts {
    private final List<Transcript> list = new ArrayList<>();

    /** Records the transcript after an answer; null (tokens that do not spell the answer) is skipped. */
    void add(Transcript transcript) {
        if (transcript != null) {
            list.add(transcript);
        }
    }

    /** Forgets the transcripts of more than {@code turns} turns (those turns were dropped). */
    void keepWithin(int turns) {
        list.removeIf(t -> t.turns() > turns);
    }

    /** Forgets all (the turns were renumbered or replaced). */
    void clear() {
        list.clear();
    }

    /** The latest transcript of at most {@code turns} turns, or null. */
    Transcript within(int turns) {
        for (int i = list.size() - 1; i >= 0; i--) {
            if (list.get(i).turns() <= turns) {
                return list.get(i);
            }
        }
        return null;
    }
}
