package io.llava4j.conversation;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * A conversation rendered for evaluation: its units in order, every image with its embeddings.
 *
 * @param units text token runs and images, in prompt order
 * @param positions positions of all units
 * @param imagePositions of those, image embeddings
 */
record Prompt(List<Unit> units, int positions, int imagePositions) {
    Prompt {
        units = List.copyOf(units);
    }

    /**
     * A prompt of {@code units}, its sizes counted; a size past {@link Integer#MAX_VALUE} (units
     * read from a file) counts as that, which no context holds.
     */
    static Prompt of(List<Unit> units) {
        long positions = 0;
        long imagePositions = 0;
        for (Unit u : units) {
            positions += u.positions();
            if (u instanceof Unit.Image) {
                imagePositions += u.positions();
            }
        }
        return new Prompt(units, saturated(positions), saturated(imagePositions));
    }

    private static int saturated(long n) {
        return (int) Math.min(n, Integer.MAX_VALUE);
    }

    /** Calls {@code sink} with every text token in order (for the sampler's penalty window). */
    void forEachToken(IntConsumer sink) {
        for (Unit u : units) {
            if (u instanceof Unit.Tokens t) {
                for (int id : t.ids()) {
                    sink.accept(id);
                }
            }
        }
    }
}
