package io.llava4j.conversation;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.image.ChatImage;
import io.llava4j.model.Vocabulary;
import io.llava4j.template.Message;
import io.llava4j.template.PromptLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A conversation to answer (system prompt and turns ending with a question) rendered with a model's
 * template and tokenized once, its images named by {@link EmbeddingKey} but not encoded. A server
 * makes one per request, asks each idle chat how many of its KV positions the conversation would
 * keep ({@link Chat#reusablePositions}) and hands it to the chat that keeps most ({@link
 * Chat#replaceConversation}), which then evaluates it without tokenizing it again.
 *
 * <p>Made by {@link LlavaModel#render}. Rendering and tokenizing use the model's template and
 * vocabulary, never a context, so chats that are decoding meanwhile are not disturbed. Immutable
 * and thread-safe.
 */
public final class RenderedConversation {
    private final LlavaModel model;
    private final String systemPrompt;
    private final List<Message> turns;
    private final String rendered;
    private final EmbeddingKey.Layout layout;
    /** The tokens of the text around the images: one run more than there are images, runs may be empty. */
    private final List<int[]> texts;

    private final List<EmbeddingKey> images;

    private RenderedConversation(
            LlavaModel model,
            String systemPrompt,
            List<Message> turns,
            String rendered,
            EmbeddingKey.Layout layout,
            List<int[]> texts,
            List<EmbeddingKey> images) {
        this.model = model;
        this.systemPrompt = systemPrompt;
        this.turns = turns;
        this.rendered = rendered;
        this.layout = layout;
        this.texts = texts;
        this.images = images;
    }

    /** See {@link LlavaModel#render}. */
    static RenderedConversation of(LlavaModel model, String systemPrompt, List<Message> turns) {
        List<Message> copy = List.copyOf(turns);
        List<ChatImage> pictures = new ArrayList<>();
        for (Message m : copy) {
            pictures.addAll(m.images());
        }
        String rendered = model.template().template().render(systemPrompt, copy);
        EmbeddingKey.Layout layout = EmbeddingKey.Layout.of(pictures.size());
        List<int[]> texts = tokenize(model.languageModel().vocabulary(), rendered, pictures.size(), true);
        List<EmbeddingKey> keys = new ArrayList<>(pictures.size());
        for (ChatImage picture : pictures) {
            keys.add(new EmbeddingKey(picture.sha256(), model.mmprojIdentity(), layout));
        }
        return new RenderedConversation(
                model, systemPrompt, copy, rendered, layout, List.copyOf(texts), List.copyOf(keys));
    }

    /** The system prompt: null for the template's default, "" for none. */
    public String systemPrompt() {
        return systemPrompt;
    }

    /** The turns, oldest first; the last one is a question. */
    public List<Message> turns() {
        return turns;
    }

    /** The prompt text the template renders, image markers in place, ending with the open answer slot. */
    public String rendered() {
        return rendered;
    }

    LlavaModel model() {
        return model;
    }

    List<int[]> texts() {
        return texts;
    }

    /**
     * Positions of {@code sequence} that the prompt a chat makes of this conversation keeps: {@code
     * from}'s units and the tokens of what follows its answer when this rendering continues it (see
     * {@link Chat}), else this rendering's tokens.
     *
     * @param from the transcript the chat would continue from, null if none
     */
    int keptBy(Sequence sequence, Transcript from, Vocabulary vocab) {
        HeldPrefix held = new HeldPrefix(sequence);
        String continuation = from != null ? from.continuation(rendered, turns, layout) : null;
        if (continuation == null) {
            feed(held, texts, 0);
            return held.kept();
        }
        held.units(from.units());
        if (!held.allHeld() || held.position() == sequence.positions()) {
            // what continues the transcript (never empty: at least the new question) is not held
            return held.position();
        }
        // the sequence holds more (an earlier version of the next turn, a prompt cancelled while
        // evaluating): compare the continuation's tokens too, as the chat will tokenize it
        feed(held, tokenize(vocab, continuation, images.size() - from.images(), false), from.images());
        return held.kept();
    }

    private void feed(HeldPrefix held, List<int[]> runs, int firstImage) {
        for (int i = 0; i < runs.size(); i++) {
            if (i > 0) {
                held.image(images.get(firstImage + i - 1));
            }
            held.tokens(runs.get(i));
        }
    }

    /**
     * The tokens of the text chunks around the image markers of {@code text} ({@link
     * PromptLayout}), as a prompt is evaluated: BOS only for the first chunk of a prompt's start.
     *
     * @param images the images the text must have markers for
     * @param fromStart whether {@code text} starts the prompt (else it continues a transcript)
     * @throws Llava4jException {@code INVALID_ARGUMENT} if the markers are not one per image
     */
    static List<int[]> tokenize(Vocabulary vocab, String text, int images, boolean fromStart) {
        PromptLayout layout = PromptLayout.of(text).requireImages(images);
        List<int[]> runs = new ArrayList<>(layout.textChunks().size());
        for (PromptLayout.Part part : layout.parts()) {
            if (part instanceof PromptLayout.Text t) {
                runs.add(vocab.tokenize(t.text(), fromStart && t.addBos(), true));
            }
        }
        return runs;
    }

    /** How many leading turns two histories share (images compared by content). */
    static int commonTurns(List<Message> held, List<Message> wanted) {
        int n = Math.min(held.size(), wanted.size());
        for (int i = 0; i < n; i++) {
            if (!sameTurn(held.get(i), wanted.get(i))) {
                return i;
            }
        }
        return n;
    }

    private static boolean sameTurn(Message a, Message b) {
        if (a.role() != b.role()
                || !a.text().equals(b.text())
                || a.images().size() != b.images().size()) {
            return false;
        }
        for (int i = 0; i < a.images().size(); i++) {
            if (!a.images().get(i).sha256().equals(b.images().get(i).sha256())) {
                return false;
            }
        }
        return true;
    }

    /**
     * @throws Llava4jException {@code INVALID_ARGUMENT} unless rendered by {@code wanted}
     */
    void requireModel(LlavaModel wanted) {
        if (model != wanted) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT, "this conversation was rendered for another model than the chat's");
        }
    }
}
