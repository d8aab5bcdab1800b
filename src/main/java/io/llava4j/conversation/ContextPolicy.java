package io.llava4j.conversation;

/** What a {@link Chat} does when its turns no longer fit its context. */
public enum ContextPolicy {
    /** {@link Chat#generate} throws {@code CONTEXT_FULL}; the turns stay as they are. */
    FAIL,
    /**
     * The oldest question and answer pairs after the system prompt are dropped from the chat, whole
     * (with their images), until the prompt leaves room for the answer (its token limit, at most a
     * quarter of the context); the last question is never dropped. The result says how many turns
     * went ({@link GenerationResult#droppedTurns()}). What stays is evaluated again from the first
     * changed position.
     */
    DROP_OLDEST_TURNS,
}
