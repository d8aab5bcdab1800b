/**
 * Quantizing GGUF files: language models and mmprojs (CLIP encoder + projector) alike go through
 * llama.cpp's own quantizer, {@code llama_model_quantize}, which knows the {@code clip}
 * architecture and keeps norms, biases, position and patch embeddings in their original type.
 * {@link io.llava4j.quantize.Quantizer} validates the input in Java first, so a bad file is an
 * exception, never a native abort.
 */
package io.llava4j.quantize;
