package io.llava4j.convert.llava;

import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.Json;
import java.nio.file.Files;
import java.nio.file.Path;
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
 */
record MultimodalParams(int featureLayer, int[] pinpoints, String mergeType, String aspectRatio, float[] mean,
        float[] std) {

    static MultimodalParams read(SourceLayout layout, Path dir, ConfigMap config, VisionParams vision,
            ConfigMap towerConfig, Path visionTower) {
        boolean hf = layout == SourceLayout.HF_LLAVA || layout == SourceLayout.HF_LLAVA_NEXT;
        int configured = towerConfig.withDefaults(java.util.Map.of("num_hidden_layers", (long) vision.nLayer()))
                .integer("num_hidden_layers");
        int select;
        if (hf) {
            select = config.optionalInteger("vision_feature_layer").orElse(-2);
            String act = config.string("projector_hidden_act").orElse("gelu");
            if (!act.equals("gelu")) {
                throw new CheckpointException(config.file(), "projector_hidden_act " + act + " is not supported (gelu)");
            }
        } else {
            select = config.optionalInteger("mm_vision_select_layer").orElse(-2);
            String type = config.string("mm_projector_type").orElse("linear");
            if (!type.equals("mlp2x_gelu")) {
                throw new CheckpointException(config.file(), "mm_projector_type " + type
                        + " is not supported; llava4j converts the mlp2x_gelu projector of LLaVA-1.5/NeXT");
            }
        }
        int feature = vision.siglip() && !hf ? vision.nLayer() : select < 0 ? configured + select + 1 : select;
        if (feature < 1 || feature > vision.nLayer()) {
            throw new CheckpointException(config.file(), "vision feature layer " + select + " gives hidden state "
                    + feature + ", outside the tower's " + vision.nLayer() + " stored layers");
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
            pins = config.pairs("image_grid_pinpoints").orElseThrow(() -> config.bad("image_grid_pinpoints", null,
                    "the anyres resolutions"));
        } else {
            aspect = config.string("image_aspect_ratio").orElse(null);
            merge = config.string("mm_patch_merge_type").orElse("flat");
            if (aspect != null && aspect.startsWith("anyres")) {
                if (!aspect.equals("anyres")) {
                    throw new CheckpointException(config.file(), "image_aspect_ratio " + aspect
                            + " is not supported (anyres, pad)");
                }
                pins = config.pairs("image_grid_pinpoints").orElseThrow(() -> config.bad("image_grid_pinpoints",
                        null, "the anyres resolutions"));
            }
            if (!merge.equals("flat") && !merge.equals("spatial_unpad")) {
                throw new CheckpointException(config.file(), "mm_patch_merge_type " + merge
                        + " is not supported (flat, spatial_unpad)");
            }
        }
        ConfigMap pre = preprocessor(dir, visionTower);
        float[] mean = pre == null ? vision.defaultMean() : pre.floats("image_mean").orElse(vision.defaultMean());
        float[] std = pre == null ? vision.defaultStd() : pre.floats("image_std").orElse(vision.defaultStd());
        if (mean.length != 3 || std.length != 3) {
            throw new CheckpointException(pre.file(), "image_mean and image_std must have 3 values");
        }
        return new MultimodalParams(feature, pins, merge, aspect, mean, std);
    }

    /** {@code preprocessor_config.json} of the checkpoint, Paddle's {@code processor/eval/}, or the tower's. */
    private static ConfigMap preprocessor(Path dir, Path visionTower) {
        for (Path p : new Path[] {dir.resolve("preprocessor_config.json"),
                dir.resolve("processor").resolve("eval").resolve("preprocessor_config.json"),
                visionTower == null ? null : visionTower.resolve("preprocessor_config.json")}) {
            if (p != null && Files.isRegularFile(p)) {
                return new ConfigMap(p, Json.readObject(p));
            }
        }
        return null;
    }

    Optional<int[]> gridPinpoints() {
        return Optional.ofNullable(pinpoints);
    }
}
