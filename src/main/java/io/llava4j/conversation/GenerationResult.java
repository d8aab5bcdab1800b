package io.llava4j.conversation;

/**
 * The outcome of one {@link Chat#generate} call.
 *
 * @param text the answer (stop strings removed)
 * @param finishReason why it ended
 * @param promptPositions positions of the whole prompt (text tokens plus image embeddings)
 * @param reusedPositions prompt positions already in the KV cache from earlier turns (not evaluated again)
 * @param evaluatedPositions prompt positions evaluated by this call
 * @param imagePositions of the prompt, positions that are image embeddings
 * @param generatedTokens tokens sampled (the final end-of-generation token included)
 * @param encodeMillis time spent encoding images (zero when cached)
 * @param prefillMillis time spent evaluating the prompt
 * @param generateMillis time spent generating
 * @param droppedTurns oldest turns dropped from the chat so that the prompt fits the context ({@link
 *     ContextPolicy#DROP_OLDEST_TURNS}), 0 otherwise
 */
public record GenerationResult(
        String text,
        FinishReason finishReason,
        int promptPositions,
        int reusedPositions,
        int evaluatedPositions,
        int imagePositions,
        int generatedTokens,
        long encodeMillis,
        long prefillMillis,
        long generateMillis,
        int droppedTurns) {

    /** Prompt evaluation speed in positions per second (0 when nothing was evaluated). */
    public double prefillPerSecond() {
        return prefillMillis == 0 ? 0 : evaluatedPositions * 1000.0 / prefillMillis;
    }

    /** Generation speed in tokens per second. */
    public double generatePerSecond() {
        return generateMillis == 0 ? 0 : generatedTokens * 1000.0 / generateMillis;
    }
}
