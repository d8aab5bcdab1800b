package io.llava4j.vision.preprocess;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What the preprocessing of one vision tower needs; the caller fills it from the mmproj metadata
 * ({@code clip.vision.image_size}, {@code patch_size}, {@code image_mean}, {@code image_std},
 * {@code image_grid_pinpoints}) and the checkpoint's {@code image_aspect_ratio}.
 *
 * @param imageSize side of every model-input image and anyres tile (336 CLIP-L/14-336, 384 SigLIP)
 * @param patchSize ViT patch side (14); {@code imageSize / patchSize}, rounded down as the stride-14
 *     patch convolution does (384 / 14 = 27 for SigLIP), is the feature side
 * @param mean per-channel mean (float32, as HF's {@code normalize} casts it); copied
 * @param std per-channel std, non-zero; copied
 * @param aspectMode how images of any shape are fitted
 * @param gridPinpoints anyres candidates, (width, height), each a multiple of {@code imageSize};
 *     empty unless {@code aspectMode} is {@link AspectMode#ANYRES}
 * @param resample the processor's {@code resample} (3 = BICUBIC for CLIP and SigLIP); anyres'
 *     own resizes always use PIL's default BICUBIC, as the reference calls {@code resize} without it
 * @param anyresMaxPatches N of {@code anyres_max_N} (OneVision: 9), else 0; affects the merge
 *     layout only, not the pixels
 */
public record PreprocessConfig(
        int imageSize,
        int patchSize,
        float[] mean,
        float[] std,
        AspectMode aspectMode,
        List<Resolution> gridPinpoints,
        ResampleFilter resample,
        int anyresMaxPatches) {
    /** OpenAI CLIP {@code image_mean}. */
    public static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    /** OpenAI CLIP {@code image_std}. */
    public static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    private static final float[] HALF = {0.5f, 0.5f, 0.5f};

    /** @throws Llava4jException {@code INVALID_ARGUMENT} for inconsistent values */
    public PreprocessConfig {
        Objects.requireNonNull(aspectMode, "aspectMode");
        Objects.requireNonNull(resample, "resample");
        gridPinpoints = List.copyOf(gridPinpoints);
        if (patchSize < 1 || imageSize < patchSize) {
            throw invalid("image size " + imageSize + " must be at least the patch size " + patchSize + " (>= 1)");
        }
        if (mean.length != 3 || std.length != 3) {
            throw invalid("image_mean and image_std need 3 values, got " + mean.length + " and " + std.length);
        }
        mean = mean.clone();
        std = std.clone();
        for (int c = 0; c < 3; c++) {
            if (!(std[c] != 0f) || !Float.isFinite(std[c]) || !Float.isFinite(mean[c])) {
                throw invalid("image_std must be finite and non-zero and image_mean finite: mean "
                        + Arrays.toString(mean) + ", std " + Arrays.toString(std));
            }
        }
        if (aspectMode == AspectMode.ANYRES && gridPinpoints.isEmpty()) {
            throw invalid("anyres needs image_grid_pinpoints");
        }
        for (Resolution r : gridPinpoints) {
            if (r.width() % imageSize != 0 || r.height() % imageSize != 0) {
                throw invalid("grid pinpoint " + r + " is not a multiple of the image size " + imageSize);
            }
        }
        if (anyresMaxPatches < 0) {
            throw invalid("anyres_max_N needs N >= 0, got " + anyresMaxPatches);
        }
    }

    /** LLaVA-1.5 (CLIP-L/14-336, {@code pad}, 576 tokens). */
    public static PreprocessConfig llava15Clip() {
        return new PreprocessConfig(336, 14, CLIP_MEAN, CLIP_STD, AspectMode.PAD, List.of(), ResampleFilter.BICUBIC, 0);
    }

    /** LLaVA-1.6 (CLIP-L/14-336, {@code anyres}, {@link GridPinpoints#LLAVA_V16}). */
    public static PreprocessConfig llava16Clip() {
        return new PreprocessConfig(
                336, 14, CLIP_MEAN, CLIP_STD, AspectMode.ANYRES, GridPinpoints.LLAVA_V16, ResampleFilter.BICUBIC, 0);
    }

    /** LLaVA-NeXT-Interleave (SigLIP-so400m-14-384, {@code anyres}, mean = std = 0.5). */
    public static PreprocessConfig nextInterleaveSiglip() {
        return new PreprocessConfig(
                384, 14, HALF, HALF, AspectMode.ANYRES, GridPinpoints.NEXT_INTERLEAVE, ResampleFilter.BICUBIC, 0);
    }

    /** LLaVA-OneVision (SigLIP-384, {@code anyres_max_9}, pinpoints {@code (1x1),...,(6x6)}). */
    public static PreprocessConfig oneVisionSiglip() {
        return new PreprocessConfig(
                384,
                14,
                HALF,
                HALF,
                AspectMode.ANYRES,
                GridPinpoints.parse("(1x1),...,(6x6)", 384),
                ResampleFilter.BICUBIC,
                9);
    }

    /** A copy with another aspect mode (pinpoints kept; PAD/CROP/SQUASH ignore them). */
    public PreprocessConfig withAspectMode(AspectMode mode) {
        return new PreprocessConfig(imageSize, patchSize, mean, std, mode, gridPinpoints, resample, anyresMaxPatches);
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    /** Feature-map side of one image: {@code imageSize / patchSize} rounded down (24 CLIP-336, 27 SigLIP-384). */
    public int patchesPerSide() {
        return imageSize / patchSize;
    }

    /** {@code expand2square}'s background: {@code tuple(int(x * 255) for x in image_mean)}. */
    public int[] padColor() {
        int[] rgb = new int[3];
        for (int c = 0; c < 3; c++) {
            rgb[c] = (int) (mean[c] * 255.0);
        }
        return rgb;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PreprocessConfig p
                && imageSize == p.imageSize
                && patchSize == p.patchSize
                && Arrays.equals(mean, p.mean)
                && Arrays.equals(std, p.std)
                && aspectMode == p.aspectMode
                && gridPinpoints.equals(p.gridPinpoints)
                && resample == p.resample
                && anyresMaxPatches == p.anyresMaxPatches;
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                imageSize,
                patchSize,
                Arrays.hashCode(mean),
                Arrays.hashCode(std),
                aspectMode,
                gridPinpoints,
                resample,
                anyresMaxPatches);
    }

    @Override
    public String toString() {
        return "PreprocessConfig[size=" + imageSize + ", patch=" + patchSize + ", mean=" + Arrays.toString(mean)
                + ", std=" + Arrays.toString(std) + ", " + aspectMode + ", pinpoints=" + gridPinpoints
                + ", " + resample + (anyresMaxPatches > 0 ? ", anyres_max_" + anyresMaxPatches : "") + "]";
    }

    private static Llava4jException invalid(String message) {
        return new Llava4jException(Code.INVALID_ARGUMENT, message);
    }
}
