package io.llava4j.sampling;

/**
 * Divides the logits by the temperature (llama.cpp {@code llama_sampler_temp} for {@code t > 0}).
 * The division is deferred: the stage sets {@link Candidates#scale} to {@code 1/t} and the
 * {@link Draw} applies it while computing the softmax, so no logit is rewritten. Temperature 0
 * (greedy) never reaches this stage; {@link SamplerChain} takes the argmax instead.
 */
final class TemperatureStage implements SamplerStage {
    private final float inverse;

    /** @param temperature finite and {@code > 0} */
    TemperatureStage(float temperature) {
        if (!(temperature > 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and > 0: " + temperature);
        }
        this.inverse = 1f / temperature;
    }

    @Override
    public void apply(Candidates c) {
        c.scale *= inverse;
    }
}
