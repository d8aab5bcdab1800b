package io.llava4j.vision;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.image.RgbImage;
import io.llava4j.vision.preprocess.FloatImage;
import io.llava4j.vision.preprocess.ImageLayout;
import io.llava4j.vision.preprocess.PreprocessedImage;
import io.llava4j.vision.preprocess.Preprocessor;

/**
 * One image in, the embedding sequence the language model reads out: preprocessing (Pillow-exact),
 * one encode per model-input image, then the LLaVA-NeXT merge where the model uses one.
 *
 * <p>Not thread-safe (it drives one {@link VisionEncoder}); does not own the encoder.
 */
public final class ImageEmbedder {
    private final VisionEncoder encoder;
    private final MmprojConfig config;
    private final Preprocessor preprocessor;

    public ImageEmbedder(VisionEncoder encoder, MmprojConfig config) {
        this.encoder = encoder;
        this.config = config;
        this.preprocessor = new Preprocessor(config.preprocess());
    }

    public MmprojConfig config() {
        return config;
    }

    /** Preprocessing only: the model-input images (base first, then tiles) and their layout. */
    public PreprocessedImage preprocess(RgbImage image) {
        return preprocessor.process(image);
    }

    /** Preprocesses, encodes and merges one image. */
    public ImageEmbedding embed(RgbImage image, int threads) {
        PreprocessedImage pre = preprocess(image);
        float[][] features = new float[pre.images().size()][];
        for (int i = 0; i < features.length; i++) {
            FloatImage img = pre.images().get(i);
            features[i] = encoder.encode(img.data(), img.width(), img.height(), threads);
        }
        int width = encoder.embeddingWidth();
        float[] merged;
        if (config.spatialUnpad()) {
            ImageLayout layout = pre.layout();
            int perImage = features[0].length / width;
            int side = (int) Math.round(Math.sqrt(perImage));
            if (side * side != perImage) {
                throw new Llava4jException(Code.INCOMPATIBLE, "spatial_unpad needs a square feature map, the encoder"
                        + " gives " + perImage + " tokens per image");
            }
            merged = AnyresMerge.spatialUnpad(features, layout.unpad(side), config.newline().orElseThrow(), width);
        } else {
            merged = AnyresMerge.flat(features);
        }
        return new ImageEmbedding(merged, merged.length / width, width);
    }

    /**
     * The embeddings of one image.
     *
     * @param data {@code tokens * width} floats, token after token
     */
    public record ImageEmbedding(float[] data, int tokens, int width) {}
}
