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
 * @param promptEvalMs the time of prompt evaluation ("prompt eval time")
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

    /** Prompt positions per second. */
    public double prefillPerSecond() {
        return promptEvalMs <= 0 ? 0 : promptPositions * 1000.0 / promptEvalMs;
    }

    /** Generated tokens decoded per second. */
    public double generationPerSecond() {
        return evalMs <= 0 ? 0 : evalRuns * 1000.0 / evalMs;
    }

    /** Encode plus prompt evaluation: when the first token is ready to be sampled. */
    public double firstTokenMs() {
        return encodeMs + promptEvalMs;
    }
}
