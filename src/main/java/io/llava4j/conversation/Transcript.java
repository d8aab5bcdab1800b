package io.llava4j.conversation;

import io.llava4j.model.Vocabulary;
import io.llava4j.template.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The last answered prompt of a {@link Chat} as units, followed by the tokens of its answer: what
 * the next prompt continues from. The next prompt is these units plus the tokens of the text the
 * template renders after the answer, so the answer is never detokenized and tokenized again.
 *
 * @param rendered the rendered prompt the answer was generated for
 * @param units its units (images named only), then the answer's tokens
 * @param answer the answer's text
 * @param turns the turns it covers, the answer included
 * @param images the images in those turns
 * @param layout the layout of those images
 */
record Transcript(String rendered, List<Unit> units, String answer, int turns, int images, EmbeddingKey.Layout layout) {
    Transcript {
        units = List.copyOf(units);
    }

    /**
     * The transcript after an answer, or null if its tokens do not spell its text.
     *
     * @param sampled the answer's tokens, {@code count} of them
     */
    static Transcript after(
            String rendered,
            Prompt prompt,
            Vocabulary vocab,
            int[] sampled,
            int count,
            String answer,
            List<Message> turns,
            EmbeddingKey.Layout layout) {
        int answerTokens = answer.isEmpty() ? -1 : answerTokens(vocab, sampled, count, answer);
        if (answerTokens < 0) {
            return null;
        }
        List<Unit> units = new ArrayList<>(prompt.units().size() + 1);
        int images = 0;
        for (Unit u : prompt.units()) {
            if (u instanceof Unit.Image image) {
                units.add(image.named());
                images++;
            } else {
                units.add(u);
            }
        }
        units.add(new Unit.Tokens(Arrays.copyOf(sampled, answerTokens)));
        return new Transcript(rendered, units, answer, turns.size(), images, layout);
    }

    /**
     * What {@code rendered} (the conversation now) adds after this transcript's answer, or null if
     * it does not continue it: the text before the answer changed (system prompt, template, images
     * laid out otherwise) or no turn was added.
     */
    String continuation(String rendered, List<Message> current, EmbeddingKey.Layout currentLayout) {
        if (current.size() <= turns || images > 0 && currentLayout != layout || !rendered.startsWith(this.rendered)) {
            return null;
        }
        // the template's separator between the open slot and the answer (" " after "ASSISTANT:")
        // belongs to the answer's first token
        int at = this.rendered.length();
        while (at < rendered.length()
                && !rendered.startsWith(answer, at)
                && Character.isWhitespace(rendered.charAt(at))) {
            at++;
        }
        return rendered.startsWith(answer, at) ? rendered.substring(at + answer.length()) : null;
    }

    /**
     * How many of the answer's tokens spell exactly its text: all of them, unless a stop string
     * cut the text inside the tokens; then the tokens before it, or -1 if no boundary matches.
     */
    private static int answerTokens(Vocabulary vocab, int[] sampled, int count, String text) {
        // decoded as the streamer decodes: bytes that are not UTF-8 became U+FFFD in the text too
        if (vocab.detokenize(Arrays.copyOf(sampled, count)).equals(text)) {
            return count;
        }
        byte[] want = text.getBytes(StandardCharsets.UTF_8);
        int at = 0;
        int match = want.length == 0 ? 0 : -1;
        for (int i = 0; i < count && at <= want.length; i++) {
            byte[] piece = vocab.piece(sampled[i]);
            if (at + piece.length > want.length
                    || !Arrays.equals(piece, 0, piece.length, want, at, at + piece.length)) {
                break;
            }
            at += piece.length;
            if (at == want.length) {
                match = i + 1;
            }
        }
        return match < 0 ? -1 : match;
    }
}
