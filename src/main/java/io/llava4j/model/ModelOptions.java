package io.llava4j.model;

import io.llava4j.Llava4jException;

/**
 * How a language model is loaded.
 *
 * @param gpuLayers layers to offload to the GPU (0 = CPU only, -1 = all); ignored without a GPU backend
 * @param useMmap map the file instead of reading it: a faster start, pages shared with other
 *     processes mapping the same file. Weights copied out of the mapping (repacked for the CPU's
 *     kernels, or offloaded to a GPU) have their pages unmapped as they are copied, so the peak
 *     resident set is one copy of each weight either way
 * @param vocabOnly load only the tokenizer (for tokenizing without the weights)
 */
public record ModelOptions(int gpuLayers, boolean useMmap, boolean vocabOnly) {
    public ModelOptions {
        if (gpuLayers < -1) {
            throw new Llava4jException(
                    Llava4jException.Code.INVALID_ARGUMENT,
                    "gpuLayers must be -1 (all), 0 or positive, got " + gpuLayers);
        }
    }

    /** CPU only, memory-mapped, full model. */
    public static ModelOptions defaults() {
        return new ModelOptions(0, true, false);
    }

    /** The tokenizer only: loads in milliseconds, cannot create contexts. */
    public static ModelOptions vocabularyOnly() {
        return new ModelOptions(0, true, true);
    }

    public ModelOptions withGpuLayers(int layers) {
        return new ModelOptions(layers, useMmap, vocabOnly);
    }

    public ModelOptions withMmap(boolean mmap) {
        return new ModelOptions(gpuLayers, mmap, vocabOnly);
    }
}
