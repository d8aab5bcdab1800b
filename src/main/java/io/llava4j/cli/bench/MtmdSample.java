package io.llava4j.cli.bench;

/**
 * The timings of one {@code llama-mtmd-cli} run, as it prints them.
 *
 * @param loadMs {@code llama_perf_context_print}'s load time: the language model file only
 * @param encodeMs the CLIP encode of the images ("mtmd batch encoding done in"); excludes its
 *     image decoding and resizing
 * @param imageDecodeMs the language model's evaluation of the image embeddings ("image decoded
 *     (batch ...) in"), a part of {@code promptEvalMs}
 * @param promptPositions positions of prompt evaluation: text tokens and image embeddings
 * @param promptEvalMs llama.cpp's "prompt eval time": from the first decode after the context last
 *     synchronized to the next synchronization (reading the logits). The text before the first
 *     image (BOS, system prompt, "USER: ") is decoded before the image is encoded, and nothing
 *     synchronizes in between, so this time spans the CLIP encode as well; see {@link
 *     #encodeInPromptEval()}
 * @param evalRuns single-token decodes of generation ("eval time ... runs")
 * @param evalMs their time: decoding only, sampling not included
 * @param peakRssMib the process's peak resident set ({@code VmHWM})
 * @param wallMs process start to exit
 */
public record MtmdSample(
        double loadMs,
        double encodeMs,
        double imageDecodeMs,
        int promptPositions,
        double promptEvalMs,
        int evalRuns,
        double evalMs,
        double peakRssMib,
        double wallMs) {

    /**
     * Whether {@link #promptEvalMs} spans the encode: it does when it is at least the encode plus
     * the image's decoding (it contains both), which a prompt evaluated before or without the
     * encode cannot reach.
     */
    public boolean encodeInPromptEval() {
        return encodeMs > 0 && promptEvalMs >= encodeMs + imageDecodeMs;
    }

    /** Prompt positions per second, over the prompt's evaluation without the encode. */
    public double prefillPerSecond() {
        double ms = encodeInPromptEval() ? promptEvalMs - encodeMs : promptEvalMs;
        return ms <= 0 ? 0 : promptPositions * 1000.0 / ms;
    }

    /** Generated tokens decoded per second. */
    public double generationPerSecond() {
        return evalMs <= 0 ? 0 : evalRuns * 1000.0 / evalMs;
    }

    /**
     * When the first token is ready to be sampled, from the first decode: the prompt evaluation,
     * which spans the encode (or encode plus prompt evaluation where it does not). The tool's image
     * decoding, resizing and tokenizing before it are not in it: a lower bound of its time to first
     * token.
     */
    public double firstTokenMs() {
        return encodeInPromptEval() ? promptEvalMs : encodeMs + promptEvalMs;
    }
}
