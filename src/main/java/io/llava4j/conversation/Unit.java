package io.llava4j.conversation;

import io.llava4j.vision.ImageEmbedder.ImageEmbedding;
import java.util.Objects;

/**
 * One piece of a prompt, or of what a {@link Sequence} holds: a run of text tokens, or the
 * embeddings of one image. Two units match (and a cached prefix is reused) when their tokens are
 * equal, or when they are the same image (content, mmproj and layout: {@link EmbeddingKey}) over
 * the same number of positions.
 */
sealed interface Unit permits Unit.Tokens, Unit.Image {
    /** KV positions this unit takes. */
    int positions();

    /**
     * Text tokens in order.
     *
     * @param ids token ids; the unit owns the array, nobody modifies it
     */
    record Tokens(int[] ids) implements Unit {
        public Tokens {
            Objects.requireNonNull(ids, "ids");
        }

        @Override
        public int positions() {
            return ids.length;
        }
    }

    /**
     * One image's embeddings.
     *
     * @param key what the image is
     * @param positions the embeddings (tokens) it spans
     * @param embedding the floats to evaluate; null in units that only name what a sequence holds
     *     ({@link Sequence#units()}, a saved conversation): those are never evaluated again
     */
    record Image(EmbeddingKey key, int positions, ImageEmbedding embedding) implements Unit {
        public Image {
            Objects.requireNonNull(key, "key");
            if (positions <= 0 || embedding != null && embedding.tokens() != positions) {
                throw new IllegalArgumentException("an image spans " + positions + " positions, its embedding "
                        + (embedding == null ? "none" : embedding.tokens()));
            }
        }

        /** A unit to evaluate: the image and its floats. */
        static Image of(EmbeddingKey key, ImageEmbedding embedding) {
            return new Image(key, embedding.tokens(), embedding);
        }

        /** The same image without its floats (what a sequence remembers of it). */
        Image named() {
            return embedding == null ? this : new Image(key, positions, null);
        }

        /** Whether {@code other} is the same image over the same positions. */
        boolean sameAs(Image other) {
            return key.equals(other.key) && positions == other.positions;
        }
    }
}
