package io.llava4j.conversation;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.template.PromptLayout;
import io.llava4j.model.InferenceContext;
import io.llava4j.sampling.Sampler;
import io.llava4j.vision.ImageEmbedder.ImageEmbedding;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * What a {@link Chat}'s KV cache holds, as a list of units: a token id (>= 0), or {@code -(s + 1)}
 * for all embeddings of image slot {@code s}. A slot is one image in one layout for this chat's
 * mmproj ({@link EmbeddingKey}); its position count is remembered, so a prompt's size and the
 * reusable prefix are known without touching the embeddings.
 *
 * <p>Images are evaluated whole: after a failure or cancel in the middle of an image, the cache is
 * cut back to the last whole unit. Not thread-safe (owned by one chat).
 */
final class PromptState {
    private final Map<String, Integer> slotOfKey = new HashMap<>();
    private final List<EmbeddingKey> slotKeys = new ArrayList<>();
    private final List<Integer> slotTokens = new ArrayList<>();
    private final List<Integer> evaluated = new ArrayList<>();

    /**
     * A rendered prompt as units.
     *
     * @param units tokens and image slots in order
     * @param fresh embeddings computed while building (images this chat had not seen), by slot
     * @param images the image of each slot in the prompt, with its index among the prompt's images
     * @param imageCount images in the prompt
     * @param positions positions of all units
     * @param imagePositions of those, image embeddings
     */
    record Prompt(List<Integer> units, Map<Integer, ImageEmbedding> fresh, Map<Integer, Placed> images,
            int imageCount, EmbeddingKey.Layout layout, int positions, int imagePositions) {
        /** Tells the sampler the prompt's tokens (for repetition penalties over the window). */
        void acceptTokens(Sampler sampler) {
            for (int unit : units) {
                if (unit >= 0) {
                    sampler.accept(unit);
                }
            }
        }
    }

    /** An image of the prompt and its index among the prompt's images. */
    record Placed(ChatImage image, int index) {}

    /** Tokenizes the rendered prompt and places the chat's images, encoding those not seen before. */
    Prompt build(Chat chat, String rendered, GenerationListener listener) {
        List<ChatImage> images = new ArrayList<>();
        for (ChatTurn t : chat.turns()) {
            images.addAll(t.images());
        }
        PromptLayout layout = PromptLayout.of(rendered).requireImages(images.size());
        EmbeddingKey.Layout kind = images.size() > 1 ? EmbeddingKey.Layout.MULTI : EmbeddingKey.Layout.SINGLE;
        List<Integer> units = new ArrayList<>();
        Map<Integer, ImageEmbedding> fresh = new HashMap<>();
        Map<Integer, Placed> placed = new HashMap<>();
        int positions = 0;
        int imagePositions = 0;
        for (PromptLayout.Part part : layout.parts()) {
            if (part instanceof PromptLayout.Text text) {
                for (int id : chat.vocabulary().tokenize(text.text(), text.addBos(), true)) {
                    units.add(id);
                    positions++;
                }
            } else if (part instanceof PromptLayout.Image image) {
                ChatImage img = images.get(image.index());
                EmbeddingKey key = new EmbeddingKey(img.sha256(), chat.model().mmprojIdentity(), kind);
                int slot = slot(key);
                placed.put(slot, new Placed(img, image.index()));
                if (slotTokens.get(slot) < 0) {
                    ImageEmbedding e = chat.embed(img, kind, image.index(), images.size(), listener);
                    slotTokens.set(slot, e.tokens());
                    fresh.put(slot, e);
                }
                units.add(-(slot + 1));
                positions += slotTokens.get(slot);
                imagePositions += slotTokens.get(slot);
            }
        }
        return new Prompt(units, fresh, placed, images.size(), kind, positions, imagePositions);
    }

    /**
     * Cuts the KV cache back to the longest prefix it shares with {@code prompt} (at least the
     * last unit is evaluated again, for its logits).
     *
     * @return the positions kept
     */
    int reuse(InferenceContext ctx, Prompt prompt) {
        List<Integer> units = prompt.units();
        int n = Math.min(units.size(), evaluated.size());
        int keep = 0;
        while (keep < n && units.get(keep).equals(evaluated.get(keep))) {
            keep++;
        }
        if (keep == units.size()) {
            keep--;
        }
        int kept = positions(units, keep);
        ctx.truncate(kept);
        evaluated.subList(keep, evaluated.size()).clear();
        return kept;
    }

    /** Evaluates the units after the kept prefix: token runs in batches, images whole. */
    void evaluate(Chat chat, InferenceContext ctx, Prompt prompt, GenerationListener listener,
            BooleanSupplier cancelled) {
        List<Integer> units = prompt.units();
        int start = ctx.position();
        int total = prompt.positions() - start;
        int i = evaluated.size();
        while (i < units.size()) {
            if (cancelled.getAsBoolean()) {
                throw new Llava4jException(Code.CANCELLED, "cancelled");
            }
            int unit = units.get(i);
            int base = ctx.position() - start;
            if (unit < 0) {
                ImageEmbedding e = prompt.fresh().get(-unit - 1);
                Placed p = prompt.images().get(-unit - 1);
                ImageEmbedding emb = e != null ? e
                        : chat.embed(p.image(), prompt.layout(), p.index(), prompt.imageCount(), listener);
                decodeTracked(ctx, units, i, i + 1, () -> ctx.decodeEmbeddings(emb.data(), 0, emb.tokens(),
                        done -> listener.onPrefill(base + done, total)));
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
                decodeTracked(ctx, units, i, j, () -> ctx.decode(run, 0, run.length,
                        done -> listener.onPrefill(base + done, total)));
                i = j;
            }
        }
    }

    /** Records a generated token the KV cache now holds. */
    void appendToken(int token) {
        evaluated.add(token);
    }

    /** The units the KV cache holds (a copy). */
    List<Integer> evaluatedUnits() {
        return List.copyOf(evaluated);
    }

    List<EmbeddingKey> slotKeys() {
        return List.copyOf(slotKeys);
    }

    List<Integer> slotTokens() {
        return List.copyOf(slotTokens);
    }

    /** Positions taken by the units the KV cache holds. */
    int evaluatedPositions() {
        return positions(evaluated, evaluated.size());
    }

    /** Replaces everything with a saved state (the caller restores the KV cache to match). */
    void restore(List<EmbeddingKey> keys, List<Integer> tokens, List<Integer> units) {
        slotOfKey.clear();
        slotKeys.clear();
        slotTokens.clear();
        for (int s = 0; s < keys.size(); s++) {
            slotOfKey.put(keys.get(s).id(), s);
            slotKeys.add(keys.get(s));
            slotTokens.add(tokens.get(s));
        }
        evaluated.clear();
        for (int u : units) {
            if (u < -keys.size()) {
                throw new Llava4jException(Code.INVALID_FILE, "unit " + u + " names an image slot that does not exist");
            }
            evaluated.add(u);
        }
    }

    /** Forgets what the KV cache holds (after it was emptied). */
    void reset() {
        evaluated.clear();
    }

    private int slot(EmbeddingKey key) {
        return slotOfKey.computeIfAbsent(key.id(), k -> {
            slotKeys.add(key);
            slotTokens.add(-1);
            return slotKeys.size() - 1;
        });
    }

    private void decodeTracked(InferenceContext ctx, List<Integer> units, int from, int to, Runnable decode) {
        int startPos = ctx.position();
        try {
            decode.run();
            evaluated.addAll(units.subList(from, to));
        } catch (Llava4jException e) {
            // keep whole units only: the tokens that made it in, never half an image
            int done = ctx.position() - startPos;
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

    private int positions(List<Integer> units, int n) {
        int p = 0;
        for (int i = 0; i < n; i++) {
            int u = units.get(i);
            p += u >= 0 ? 1 : slotTokens.get(-u - 1);
        }
        return p;
    }
}
