package io.llava4j.conversation;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.sampling.SamplerConfig;
import java.util.List;

/**
 * How one answer is generated.
 *
 * @param sampler sampling settings (LLaVA's CLI default: temperature 0.2)
 * @param maxTokens most tokens to generate (LLaVA's CLI default: 512)
 * @param extraStopStrings stop strings on top of the template's
 */
public record GenerationSettings(SamplerConfig sampler, int maxTokens, List<String> extraStopStrings) {
    /** LLaVA CLI's {@code --max-new-tokens} default. */
    public static final int DEFAULT_MAX_TOKENS = 512;

    public GenerationSettings {
        if (maxTokens < 1) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "maxTokens must be at least 1, got " + maxTokens);
        }
        extraStopStrings = List.copyOf(extraStopStrings);
    }

    /** Temperature 0.2, top-k 50 (HF's default when sampling), 512 tokens: LLaVA's CLI. */
    public static GenerationSettings defaults() {
        return new GenerationSettings(SamplerConfig.defaults(), DEFAULT_MAX_TOKENS, List.of());
    }

    public GenerationSettings withSampler(SamplerConfig s) {
        return new GenerationSettings(s, maxTokens, extraStopStrings);
    }

    public GenerationSettings withMaxTokens(int n) {
        return new GenerationSettings(sampler, n, extraStopStrings);
    }
}
