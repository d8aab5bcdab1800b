package io.llava4j.vision;

import io.llava4j.gguf.ClipKeys;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufFormatException;
import io.llava4j.gguf.MmprojSchema;
import io.llava4j.vision.preprocess.AspectMode;
import io.llava4j.vision.preprocess.GridPinpoints;
import io.llava4j.vision.preprocess.PreprocessConfig;
import io.llava4j.vision.preprocess.ResampleFilter;
import io.llava4j.vision.preprocess.Resolution;
import java.util.List;
import java.util.Optional;

/**
 * What llava4j needs from an mmproj's metadata to prepare images the way the original model was
 * trained: the preprocessing ({@link PreprocessConfig}), the merge type and the
 * {@code image_newline} embedding.
 *
 * <p>Choice of aspect mode: {@code clip.vision.image_grid_pinpoints} present → anyres
 * (LLaVA-NeXT); otherwise a tower without a class embedding (SigLIP) → direct resize; otherwise
 * LLaVA-1.5's {@code pad}.
 *
 * @param preprocess how images become model inputs
 * @param spatialUnpad whether tiles are merged with {@code spatial_unpad} (else {@code flat})
 * @param newline the {@code image_newline} embedding, if the file has one ({@code v.image_newline},
 *     or {@code model.image_newline} in files of the legacy converter)
 * @param multiImage how each image of a several-image prompt is prepared: one crop, no tiles (see
 *     {@link ImageEmbedder#embedOneOfSeveral})
 */
public record MmprojConfig(
        PreprocessConfig preprocess, boolean spatialUnpad, Optional<float[]> newline, PreprocessConfig multiImage) {
    static final String[] NEWLINE_TENSORS = {
        MmprojSchema.Layout.FULL.imageNewline(), MmprojSchema.Layout.LEGACY.imageNewline()
    };

    /**
     * Reads the configuration of a validated mmproj header.
     *
     * @throws GgufFormatException if spatial_unpad is requested without an image_newline tensor
     */
    public static MmprojConfig from(GgufFile mmproj) {
        int imageSize = mmproj.getInt(ClipKeys.VISION_IMAGE_SIZE);
        int patchSize = mmproj.getInt(ClipKeys.VISION_PATCH_SIZE);
        float[] mean = mmproj.optionalFloatArray(ClipKeys.VISION_IMAGE_MEAN).orElse(PreprocessConfig.CLIP_MEAN);
        float[] std = mmproj.optionalFloatArray(ClipKeys.VISION_IMAGE_STD).orElse(PreprocessConfig.CLIP_STD);
        List<Resolution> pinpoints = mmproj.optionalIntArray(ClipKeys.VISION_IMAGE_GRID_PINPOINTS)
                .map(GridPinpoints::fromFlat)
                .orElse(List.of());
        boolean siglip = !mmproj.hasTensor(MmprojSchema.CLASS_EMBD);
        AspectMode mode = !pinpoints.isEmpty() ? AspectMode.ANYRES : siglip ? AspectMode.SQUASH : AspectMode.PAD;
        PreprocessConfig pre =
                new PreprocessConfig(imageSize, patchSize, mean, std, mode, pinpoints, ResampleFilter.BICUBIC, 0);
        Optional<float[]> newline = Optional.empty();
        for (String name : NEWLINE_TENSORS) {
            if (mmproj.hasTensor(name)) {
                newline = Optional.of(mmproj.readTensorFloats(name));
                break;
            }
        }
        boolean unpad = mode == AspectMode.ANYRES
                && mmproj.optionalString(ClipKeys.VISION_MM_PATCH_MERGE_TYPE)
                        .orElse(ClipKeys.MERGE_FLAT)
                        .equals(ClipKeys.MERGE_SPATIAL_UNPAD);
        if (unpad && newline.isEmpty()) {
            throw new GgufFormatException(
                    mmproj.path(),
                    "clip.vision.mm_patch_merge_type is spatial_unpad but there"
                            + " is no image_newline tensor (v.image_newline or model.image_newline)");
        }
        // Several images in one prompt (LLaVA-NeXT-Interleave / OneVision): no anyres tiles, one crop
        // per image the way the tower's processor makes it: expand2square for CLIP (OneVision's
        // image_aspect_ratio="pad" override), the direct 384 resize for SigLIP.
        PreprocessConfig multi =
                mode != AspectMode.ANYRES ? pre : pre.withAspectMode(siglip ? AspectMode.SQUASH : AspectMode.PAD);
        return new MmprojConfig(pre, unpad, newline, multi);
    }
}
