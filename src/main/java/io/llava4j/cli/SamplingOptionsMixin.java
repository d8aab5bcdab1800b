package io.llava4j.cli;

import io.llava4j.conversation.GenerationSettings;
import io.llava4j.sampling.SamplerConfig;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Option;

/**
 * Sampling options and the answer length, shared by {@code run}, {@code chat} and {@code
 * answer}. Defaults follow LLaVA's CLI: temperature 0.2, top-k 50, 512 new tokens.
 */
final class SamplingOptionsMixin {
    @Option(
            names = "--temp",
            paramLabel = "T",
            defaultValue = "0.2",
            description = "Temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(
            names = "--top-k",
            paramLabel = "K",
            defaultValue = "50",
            description = "Top-k; 0 = off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(
            names = "--top-p",
            paramLabel = "P",
            defaultValue = "1.0",
            description = "Top-p; 1 = off (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(
            names = "--min-p",
            paramLabel = "P",
            defaultValue = "0.0",
            description = "Min-p; 0 = off (default: ${DEFAULT-VALUE}).")
    double minP;

    @Option(
            names = "--repeat-penalty",
            paramLabel = "R",
            defaultValue = "1.0",
            description = "Repetition penalty over the last 64 tokens; 1 = off (default: ${DEFAULT-VALUE}).")
    double repeatPenalty;

    @Option(names = "--seed", paramLabel = "N", description = "Random seed (default: random, printed on stderr).")
    Long seed;

    @Option(
            names = {"-n", "--max-tokens"},
            paramLabel = "N",
            defaultValue = "512",
            description = "Most tokens to generate per answer (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    /** The seed in use: {@code --seed}, or one drawn at the first call and kept so that it can be printed. */
    long seed() {
        if (seed == null) {
            seed = ThreadLocalRandom.current().nextLong() >>> 1;
        }
        return seed;
    }

    /**
     * The settings these options describe.
     *
     * @throws io.llava4j.Llava4jException {@code INVALID_ARGUMENT} naming a value out of range
     */
    GenerationSettings settings() {
        SamplerConfig sampler = SamplerConfig.defaults()
                .withTemperature(temperature)
                .withTopK(topK)
                .withTopP(topP)
                .withMinP(minP)
                .withRepeatPenalty(repeatPenalty)
                .withSeed(seed());
        return GenerationSettings.defaults().withSampler(sampler).withMaxTokens(maxTokens);
    }
}
