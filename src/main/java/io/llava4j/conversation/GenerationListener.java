package io.llava4j.conversation;

/**
 * Receives the answer while it is generated, and progress before it. Text comes in complete UTF-8
 * pieces (bytes of one character split across tokens are held back), with stop strings already
 * removed. Everything is called on the generating thread; a slow listener slows generation.
 */
@FunctionalInterface
public interface GenerationListener {
    /** A piece of the answer. */
    void onText(String piece);

    /**
     * Image {@code image} of {@code images} in the prompt has {@code done} of {@code total} model
     * inputs encoded (base image, then anyres tiles). Not called for images found in the cache.
     */
    default void onImageEncoding(int image, int images, int done, int total) {}

    /** {@code done} of the {@code total} prompt positions to evaluate are evaluated (per batch). */
    default void onPrefill(int done, int total) {}

    /** A listener that ignores everything. */
    static GenerationListener none() {
        return piece -> {};
    }
}
