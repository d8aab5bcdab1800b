package io.llava4j.vision;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.image.RgbImage;
import io.llava4j.vision.preprocess.FloatImage;
import io.llava4j.vision.preprocess.ImageLayout;
import io.llava4j.vision.preprocess.PreprocessedImage;
import io.llava4j.vision.preprocess.Preprocessor;
import java.util.Arrays;

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
    private final Preprocessor multiImagePreprocessor;

    public ImageEmbedder(VisionEncoder encoder, MmprojConfig config) {
        this.encoder = encoder;
        this.config = config;
        this.preprocessor = new Preprocessor(config.preprocess());
        this.multiImagePreprocessor = new Preprocessor(config.multiImage());
    }

    public MmprojConfig config() {
        return config;
    }

    /** Preprocessing only: the model-input images (base first, then tiles) and their layout. */
    public PreprocessedImage preprocess(RgbImage image) {
        return preprocessor.process(image);
    }

    /** Preprocesses, encodes and merges the one image of a prompt. */
    public ImageEmbedding embed(RgbImage image, int threads) {
        return embed(image, threads, EncodeProgress.NONE);
    }

    /**
     * Preprocesses, encodes and merges the one image of a prompt, reporting each encoded model
     * input (base image, then tiles).
     */
    public ImageEmbedding embed(RgbImage image, int threads, EncodeProgress progress) {
        PreprocessedImage pre = preprocess(image);
        float[][] features = encodeAll(pre, threads, progress);
        int width = encoder.embeddingWidth();
        float[] merged;
        if (config.spatialUnpad()) {
            ImageLayout layout = pre.layout();
            int perImage = features[0].length / width;
            int side = (int) Math.round(Math.sqrt(perImage));
            if (side * side != perImage) {
                throw new Llava4jException(
                        Code.INCOMPATIBLE,
                        "spatial_unpad needs a square feature map, the encoder" + " gives " + perImage
                                + " tokens per image");
            }
            merged = AnyresMerge.spatialUnpad(
                    features, layout.unpad(side), config.newline().orElseThrow(), width);
        } else {
            merged = AnyresMerge.flat(features);
        }
        return new ImageEmbedding(merged, merged.length / width, width);
    }

    /**
     * Embeds one image of a prompt that holds several, with the per-image layout of LLaVA-NeXT's
     * multi-image path ({@code prepare_inputs_labels_for_multimodal}, single-crop branch): one crop
     * ({@link MmprojConfig#multiImage()}), no tiles, then the {@code image_newline} embedding when
     * the mmproj has one: 729 + 1 positions per image for SigLIP-384, 576 (+ 1) for CLIP-L/336.
     * Models without anyres get the same embeddings as from {@link #embed}, plus nothing.
     */
    public ImageEmbedding embedOneOfSeveral(RgbImage image, int threads, EncodeProgress progress) {
        PreprocessedImage pre = multiImagePreprocessor.process(image);
        float[] features = encodeAll(pre, threads, progress)[0];
        int width = encoder.embeddingWidth();
        float[] merged = features;
        if (config.newline().isPresent()) {
            float[] nl = config.newline().get();
            merged = Arrays.copyOf(features, features.length + width);
            System.arraycopy(nl, 0, merged, features.length, width);
        }
        return new ImageEmbedding(merged, merged.length / width, width);
    }

    private float[][] encodeAll(PreprocessedImage pre, int threads, EncodeProgress progress) {
        float[][] features = new float[pre.images().size()][];
        for (int i = 0; i < features.length; i++) {
            FloatImage img = pre.images().get(i);
            features[i] = encoder.encode(img.data(), img.width(), img.height(), threads);
            progress.encoded(i + 1, features.length);
        }
        return features;
    }

    /** Told after each model input image (base, then tiles) is encoded. */
    @FunctionalInterface
    public interface EncodeProgress {
        EncodeProgress NONE = (done, total) -> {};

        /** {@code done} of {@code total} model inputs of the current image are encoded. */
        void encoded(int done, int total);
    }

    /**
     * The embeddings of one image.
     *
     * @param data {@code tokens * width} floats, token after token
     */
    public record ImageEmbedding(float[] data, int tokens, int width) {}
}
