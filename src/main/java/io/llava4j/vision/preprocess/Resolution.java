package io.llava4j.vision.preprocess;

/**
 * A size in pixels, (width, height) as the original LLaVA code orders it everywhere (PIL's
 * {@code image.size}, grid pinpoints, {@code image_sizes}). HF transformers orders pinpoints as
 * (height, width); see {@link AnyresMath}.
 */
public record Resolution(int width, int height) {
    /** @throws IllegalArgumentException if a side is below 1 */
    public Resolution {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("resolution sides must be positive: " + width + "x" + height);
        }
    }

    @Override
    public String toString() {
        return width + "x" + height;
    }
}
