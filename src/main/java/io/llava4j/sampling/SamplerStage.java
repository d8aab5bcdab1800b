package io.llava4j.sampling;

/**
 * One filtering or rescaling step of a {@link SamplerChain}, the Java counterpart of a llama.cpp
 * {@code llama_sampler} placed in a chain. A stage narrows or rescales {@link Candidates} in place;
 * it never draws and never allocates. Stages keep no per-token state.
 */
interface SamplerStage {
    /** Applies the stage to the current candidate set. */
    void apply(Candidates candidates);
}
