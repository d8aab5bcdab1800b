package io.llava4j.conversation;

import java.util.List;

/**
 * Counts how many positions of a prompt, given piece by piece in prompt order, a {@link Sequence}
 * already holds, as {@link Sequence#reuse} keeps them: tokens compared by id, images by {@link
 * EmbeddingKey}, up to the first difference, and never the prompt's last unit (it is evaluated again
 * for the logits that start the answer). Reads what the sequence holds, never its context.
 */
final class HeldPrefix {
    private final Sequence sequence;
    private int at;
    /** Positions of the last piece that matched: what {@link #kept()} leaves to evaluate. */
    private int last;

    private boolean differs;

    HeldPrefix(Sequence sequence) {
        this.sequence = sequence;
    }

    /** The next piece is a run of text tokens (an empty run changes nothing). */
    void tokens(int[] ids) {
        if (differs || ids.length == 0) {
            return;
        }
        int n = sequence.heldTokens(at, ids);
        at += n;
        last = 1;
        differs = n < ids.length;
    }

    /** The next piece is the image {@code key} names. */
    void image(EmbeddingKey key) {
        if (differs) {
            return;
        }
        int n = sequence.heldImage(at, key);
        at += n;
        last = n;
        differs = n == 0;
    }

    /** The next pieces are {@code units}. */
    void units(List<Unit> units) {
        for (Unit u : units) {
            if (u instanceof Unit.Image image) {
                image(image.key());
            } else {
                tokens(((Unit.Tokens) u).ids());
            }
        }
    }

    /** Whether every piece so far is held; further pieces may still match. */
    boolean allHeld() {
        return !differs;
    }

    /** Positions matched so far. */
    int position() {
        return at;
    }

    /** Positions {@link Sequence#reuse} keeps when the prompt ends with the pieces given so far. */
    int kept() {
        return differs ? at : at - last;
    }
}
