package io.llava4j.convert.llava;

import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * How LLaVA feeds the tower's output to the language model, for the mmproj's metadata.
 *
 * @param featureLayer the non-negative hidden-state index the projector reads
 *     ({@code clip.vision.feature_layer}): {@code n + layer + 1} for a negative
 *     {@code vision_feature_layer} / {@code mm_vision_select_layer}, as
 *     {@code get_non_negative_vision_feature_layers} in the legacy converter computes it; for
 *     LLaVA-NeXT's SigLIP towers (whose last layer the checkpoint already dropped) the last stored layer
 * @param pinpoints flattened {@code image_grid_pinpoints}, or null when the model does not use anyres
 * @param mergeType {@code mm_patch_merge_type} ({@code flat}, {@code spatial_unpad})
 * @param aspectRatio {@code image_aspect_ratio} ({@code pad}, {@code anyres}, ...), or null
 * @param mean {@code image_mean} of the image processor
 * @param std {@code image_std} of the image processor
 * @param defaultNote null when both came from the checkpoint's image processor settings; otherwise
 *     which default was used and why, for the user and the mmproj's {@code general.description}
 */
record MultimodalParams(
        int featureLayer,
        int[] pinpoints,
        String mergeType,
        String aspectRatio,
        float[] mean,
        float[] std,
        String defaultNote) {

    static MultimodalParams read(
            SourceLayout layout,
            Path dir,
            ConfigMap config,
            VisionParams vision,
            ConfigMap towerConfig,
            Path visionTower) {
        boolean hf = layout == SourceLayout.HF_LLAVA || layout == SourceLayout.HF_LLAVA_NEXT;
        int configured = towerConfig
                .withDefaults(java.util.Map.of("num_hidden_layers", (long) vision.nLayer()))
                .integer("num_hidden_layers");
        int select;
        if (hf) {
            select = config.optionalInteger("vision_feature_layer").orElse(-2);
            String act = config.string("projector_hidden_act").orElse("gelu");
            if (!act.equals("gelu")) {
                throw new CheckpointException(
                        config.file(), "projector_hidden_act " + act + " is not supported (gelu)");
            }
        } else {
            select = config.optionalInteger("mm_vision_select_layer").orElse(-2);
            String type = config.string("mm_projector_type").orElse("linear");
            if (!type.equals("mlp2x_gelu")) {
                throw new CheckpointException(
                        config.file(),
                        "mm_projector_type " + type
                                + " is not supported; llava4j converts the mlp2x_gelu projector of LLaVA-1.5/NeXT");
            }
        }
        int feature = vision.siglip() && !hf ? vision.nLayer() : select < 0 ? configured + select + 1 : select;
        if (feature < 1 || feature > vision.nLayer()) {
            throw new CheckpointException(
                    config.file(),
                    "vision feature layer " + select + " gives hidden state " + feature + ", outside the tower's "
                            + vision.nLayer() + " stored layers");
        }
        String aspect;
        String merge;
        int[] pins = null;
        if (layout == SourceLayout.HF_LLAVA) {
            aspect = null;
            merge = "flat";
        } else if (layout == SourceLayout.HF_LLAVA_NEXT) {
            aspect = "anyres";
            merge = "spatial_unpad";
            pins = config.pairs("image_grid_pinpoints")
                    .orElseThrow(() -> config.bad("image_grid_pinpoints", null, "the anyres resolutions"));
        } else {
            aspect = config.string("image_aspect_ratio").orElse(null);
            merge = config.string("mm_patch_merge_type").orElse("flat");
            if (aspect != null && aspect.startsWith("anyres")) {
                if (!aspect.equals("anyres")) {
                    throw new CheckpointException(
                            config.file(), "image_aspect_ratio " + aspect + " is not supported (anyres, pad)");
                }
                pins = config.pairs("image_grid_pinpoints")
                        .orElseThrow(() -> config.bad("image_grid_pinpoints", null, "the anyres resolutions"));
            }
            if (!merge.equals("flat") && !merge.equals("spatial_unpad")) {
                throw new CheckpointException(
                        config.file(), "mm_patch_merge_type " + merge + " is not supported (flat, spatial_unpad)");
            }
        }
        ConfigMap pre = imageProcessor(dir, visionTower);
        float[] mean = pre == null ? null : pre.floats("image_mean").orElse(null);
        float[] std = pre == null ? null : pre.floats("image_std").orElse(null);
        String note = null;
        if (mean == null || std == null) {
            String missing = mean == null && std == null
                    ? "image_mean and image_std"
                    : mean == null ? "image_mean" : "image_std";
            String where = pre == null
                    ? "no " + missing + " (no processor_config.json or preprocessor_config.json)"
                    : pre.file() + " has no " + missing;
            mean = mean != null ? mean : vision.defaultMean();
            std = std != null ? std : vision.defaultStd();
            note = where + ": used " + (vision.siglip() ? "SigLIP" : "OpenAI CLIP") + "'s defaults, image_mean "
                    + Arrays.toString(mean) + ", image_std " + Arrays.toString(std);
        }
        if (mean.length != 3 || std.length != 3) {
            throw new CheckpointException(pre.file(), "image_mean and image_std must have 3 values");
        }
        return new MultimodalParams(feature, pins, merge, aspect, mean, std, note);
    }

    /**
     * The image processor's settings, looked for as transformers 5 does
     * ({@code ImageProcessingMixin.get_image_processor_dict}): the {@code image_processor} entry of
     * {@code processor_config.json} (where {@code ProcessorMixin.save_pretrained} of transformers 5 puts
     * it), else {@code preprocessor_config.json} (transformers 4 and older hub files); in the checkpoint
     * folder, then Paddle's {@code processor/eval/}, then the {@code --vision-tower} folder (the original
     * LLaVA code loads the tower's image processor).
     *
     * @return the settings, or null if no folder has them
     */
    private static ConfigMap imageProcessor(Path dir, Path visionTower) {
        List<Path> folders =
                new ArrayList<>(List.of(dir, dir.resolve("processor").resolve("eval")));
        if (visionTower != null) {
            folders.add(visionTower);
        }
        for (Path folder : folders) {
            Path processor = folder.resolve("processor_config.json");
            if (Files.isRegularFile(processor)) {
                Optional<ConfigMap> nested =
                        new ConfigMap(processor, Json.readObject(processor)).object("image_processor");
                if (nested.isPresent()) {
                    return nested.get();
                }
            }
            Path legacy = folder.resolve("preprocessor_config.json");
            if (Files.isRegularFile(legacy)) {
                return new ConfigMap(legacy, Json.readObject(legacy));
            }
        }
        return null;
    }
}
