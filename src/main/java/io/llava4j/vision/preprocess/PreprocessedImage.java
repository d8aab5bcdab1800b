package io.llava4j.vision.preprocess;

import java.util.List;

/**
 * The model-input images of one source image (for anyres: the squashed overview first, then the
 * tiles row by row, top-left first) and the layout needed to merge their features.
 */
public record PreprocessedImage(List<FloatImage> images, ImageLayout layout) {
    public PreprocessedImage {
        images = List.copyOf(images);
        if (images.size() != layout.imageCount()) {
            throw new IllegalArgumentException(images.size() + " images for a layout of " + layout.imageCount());
        }
    }
}
