package io.llava4j.conversation;

/**
 * Receives the answer while it is generated: complete UTF-8 text pieces (bytes of one character
 * split across tokens are held back), with stop strings already removed. Called on the generating
 * thread; a slow listener slows generation.
 */
@FunctionalInterface
public interface GenerationListener {
    void onText(String piece);

    /** A listener that ignores everything. */
    static GenerationListener none() {
        return piece -> { };
    }
}
