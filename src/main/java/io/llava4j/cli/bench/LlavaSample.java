package io.llava4j.cli.bench;

import io.llava4j.conversation.GenerationResult;

/**
 * One question answered by llava4j, as the bench measures it.
 *
 * @param loadMs opening the model pair and creating the chat's context (NaN when not loaded for this run)
 * @param result the chat's own accounting: encode (image preprocessing, hashing and CLIP, plus
 *     templating and tokenizing), prefill, generation
 * @param firstTokenMs from the {@code generate} call to the first streamed text
 * @param peakRssMib the process's peak resident set during the run (NaN when unknown)
 * @param javaMicrosPerToken the Java work of one generated token (sampling, piece lookup, UTF-8
 *     assembly, stop-string check) on this vocabulary, timed apart from the model (NaN when not measured)
 */
public record LlavaSample(
        double loadMs, GenerationResult result, double firstTokenMs, double peakRssMib, double javaMicrosPerToken) {

    public double encodeMs() {
        return result.encodeMillis();
    }

    public double prefillPerSecond() {
        return result.prefillPerSecond();
    }

    public double generationPerSecond() {
        return result.generatePerSecond();
    }

    /** The Java share of the median token time, in percent. */
    public double javaSharePercent() {
        double tokenMicros =
                result.generatedTokens() == 0 ? 0 : result.generateMillis() * 1000.0 / result.generatedTokens();
        return tokenMicros <= 0 ? Double.NaN : 100 * javaMicrosPerToken / tokenMicros;
    }
}
