package io.llava4j.conversation;

/** Why generation ended. */
public enum FinishReason {
    /** An end-of-generation token or a stop string. */
    STOP,
    /** The token limit or the end of the context. */
    LENGTH,
    /** {@link Chat#cancel()} was called. */
    CANCELLED,
}
