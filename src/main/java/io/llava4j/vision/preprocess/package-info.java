/**
 * LLaVA image preprocessing ported from the reference Python: Pillow's resampler bit for bit
 * ({@link io.llava4j.vision.preprocess.PilResample}), the HF CLIP / LLaVA-NeXT SigLIP processors,
 * {@code expand2square} and anyres tiling ({@link io.llava4j.vision.preprocess.Preprocessor}), and the
 * anyres / {@code spatial_unpad} arithmetic that fixes each image's token count
 * ({@link io.llava4j.vision.preprocess.AnyresMath}, {@link io.llava4j.vision.preprocess.UnpadLayout}).
 */
package io.llava4j.vision.preprocess;
