/**
 * Choosing tokens and turning them into text: the {@link io.llava4j.sampling.Sampler} pipeline
 * (penalties, top-k, top-p, min-p, temperature, draw, with llama.cpp's definitions) configured by
 * a {@link io.llava4j.sampling.SamplerConfig}, the {@link io.llava4j.sampling.Utf8Streamer} that
 * emits only complete UTF-8 characters, and the {@link io.llava4j.sampling.StopDetector} that finds
 * stop strings across token boundaries.
 *
 * <p>Sampling runs in Java on the logits buffer that llama.cpp fills, without copying it: the
 * filters select survivors in one pass with preallocated scratch arrays instead of building and
 * sorting a candidate array of the whole vocabulary as llama.cpp's native sampler does.
 */
package io.llava4j.sampling;
