package io.llava4j.sampling;

import io.llava4j.Llava4jException;

/**
 * Settings of a {@link Sampler}, validated on construction. The stages run in llama.cpp's order
 * (penalties, top-k, top-p, min-p, temperature, draw) with llama.cpp's definitions, so a
 * configuration means the same here as the matching {@code llama-cli} flags.
 *
 * @param temperature divides the logits before the draw; {@code 0} selects greedy decoding
 *     (argmax, ties to the lowest token id). Finite and {@code >= 0}. The LLaVA CLI uses 0.2.
 * @param topK keep only the {@code topK} highest logits; {@code 0} turns the stage off.
 *     {@code >= 0}. (Hugging Face's {@code generate} applies 50 when sampling unless told otherwise.)
 * @param topP keep the smallest set of most likely tokens whose probability sums to at least
 *     {@code topP}; {@code 1} turns the stage off, {@code 0} keeps only the most likely token.
 *     In {@code [0, 1]}.
 * @param minP drop tokens whose probability is below {@code minP} times that of the most likely
 *     token; {@code 0} turns the stage off. In {@code [0, 1]}.
 * @param repeatPenalty tokens seen in the penalty window have positive logits divided and negative
 *     logits multiplied by this; {@code 1} turns it off. Finite and {@code > 0}.
 * @param frequencyPenalty subtracted from a logit once per occurrence in the window (OpenAI's
 *     definition); {@code 0} turns it off. Finite.
 * @param presencePenalty subtracted once from the logit of every token present in the window;
 *     {@code 0} turns it off. Finite.
 * @param penaltyWindow how many of the most recently accepted tokens the penalties look at;
 *     {@code 0} turns all penalties off. {@code >= 0}.
 * @param seed seed of the random generator that {@link Sampler#create(SamplerConfig, int)}
 *     creates; any value.
 */
public record SamplerConfig(
        double temperature,
        int topK,
        double topP,
        double minP,
        double repeatPenalty,
        double frequencyPenalty,
        double presencePenalty,
        int penaltyWindow,
        long seed) {

    /** The LLaVA CLI's sampling temperature. */
    public static final double DEFAULT_TEMPERATURE = 0.2;
    /** Hugging Face {@code generate}'s top-k when sampling, which the LLaVA CLI inherits. */
    public static final int DEFAULT_TOP_K = 50;
    /** Penalty window used by {@link #defaults()} (penalties themselves are off by default). */
    public static final int DEFAULT_PENALTY_WINDOW = 64;

    /**
     * Validates every setting.
     *
     * @throws Llava4jException with {@link Llava4jException.Code#INVALID_ARGUMENT}, naming the field
     *     and the rejected value, if a setting is out of range
     */
    public SamplerConfig {
        require(
                temperature >= 0 && temperature < Double.POSITIVE_INFINITY,
                "temperature",
                temperature,
                "must be finite and >= 0");
        require(topK >= 0, "topK", topK, "must be >= 0 (0 = off)");
        require(topP >= 0 && topP <= 1, "topP", topP, "must be in [0, 1] (1 = off)");
        require(minP >= 0 && minP <= 1, "minP", minP, "must be in [0, 1] (0 = off)");
        require(
                repeatPenalty > 0 && repeatPenalty < Double.POSITIVE_INFINITY,
                "repeatPenalty",
                repeatPenalty,
                "must be finite and > 0 (1 = off)");
        require(Double.isFinite(frequencyPenalty), "frequencyPenalty", frequencyPenalty, "must be finite");
        require(Double.isFinite(presencePenalty), "presencePenalty", presencePenalty, "must be finite");
        require(penaltyWindow >= 0, "penaltyWindow", penaltyWindow, "must be >= 0 (0 = off)");
    }

    /**
     * What the LLaVA reference CLI does: temperature 0.2, top-k 50, every other stage off, penalty
     * window 64, seed 0. The seed is fixed so that runs repeat; pass another one for variety.
     */
    public static SamplerConfig defaults() {
        return new SamplerConfig(DEFAULT_TEMPERATURE, DEFAULT_TOP_K, 1, 0, 1, 0, 0, DEFAULT_PENALTY_WINDOW, 0);
    }

    /** Greedy decoding: {@link #defaults()} with temperature 0 (the other filters cannot change the argmax). */
    public static SamplerConfig greedy() {
        return defaults().withTemperature(0);
    }

    /** True if {@link #temperature()} is 0, i.e. the sampler returns the argmax and draws nothing. */
    public boolean isGreedy() {
        return temperature == 0;
    }

    /** True if the penalty stage changes anything (window > 0 and some penalty not neutral). */
    public boolean hasPenalties() {
        return penaltyWindow > 0 && (repeatPenalty != 1 || frequencyPenalty != 0 || presencePenalty != 0);
    }

    /** A copy with another {@link #temperature()}; validated like the constructor. */
    public SamplerConfig withTemperature(double value) {
        return new SamplerConfig(
                value, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyWindow, seed);
    }

    /** A copy with another {@link #topK()}; validated like the constructor. */
    public SamplerConfig withTopK(int value) {
        return new SamplerConfig(
                temperature, value, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyWindow, seed);
    }

    /** A copy with another {@link #topP()}; validated like the constructor. */
    public SamplerConfig withTopP(double value) {
        return new SamplerConfig(
                temperature, topK, value, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyWindow, seed);
    }

    /** A copy with another {@link #minP()}; validated like the constructor. */
    public SamplerConfig withMinP(double value) {
        return new SamplerConfig(
                temperature, topK, topP, value, repeatPenalty, frequencyPenalty, presencePenalty, penaltyWindow, seed);
    }

    /** A copy with another {@link #repeatPenalty()}; validated like the constructor. */
    public SamplerConfig withRepeatPenalty(double value) {
        return new SamplerConfig(
                temperature, topK, topP, minP, value, frequencyPenalty, presencePenalty, penaltyWindow, seed);
    }

    /** A copy with another {@link #frequencyPenalty()}; validated like the constructor. */
    public SamplerConfig withFrequencyPenalty(double value) {
        return new SamplerConfig(
                temperature, topK, topP, minP, repeatPenalty, value, presencePenalty, penaltyWindow, seed);
    }

    /** A copy with another {@link #presencePenalty()}; validated like the constructor. */
    public SamplerConfig withPresencePenalty(double value) {
        return new SamplerConfig(
                temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, value, penaltyWindow, seed);
    }

    /** A copy with another {@link #penaltyWindow()}; validated like the constructor. */
    public SamplerConfig withPenaltyWindow(int value) {
        return new SamplerConfig(
                temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, value, seed);
    }

    /** A copy with another {@link #seed()}. */
    public SamplerConfig withSeed(long value) {
        return new SamplerConfig(
                temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyWindow, value);
    }

    private static void require(boolean ok, String field, double value, String rule) {
        if (!ok) {
            throw new Llava4jException(
                    Llava4jException.Code.INVALID_ARGUMENT, "sampler " + field + " " + rule + ", got " + value);
        }
    }

    private static void require(boolean ok, String field, int value, String rule) {
        if (!ok) {
            throw new Llava4jException(
                    Llava4jException.Code.INVALID_ARGUMENT, "sampler " + field + " " + rule + ", got " + value);
        }
    }
}
