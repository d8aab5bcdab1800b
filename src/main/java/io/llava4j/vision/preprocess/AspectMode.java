package io.llava4j.vision.preprocess;

import java.util.Locale;

/**
 * How an image of any shape becomes model input, after LLaVA's {@code process_images} dispatch on
 * {@code image_aspect_ratio}.
 */
public enum AspectMode {
    /**
     * {@code "pad"} (every LLaVA-1.5 config): {@code expand2square} with the mean colour
     * ({@code int(m * 255)}), then the processor (resize to the side). One image.
     */
    PAD,
    /**
     * {@code "anyres"} / {@code "anyres_max_N"} (LLaVA-1.6, NeXT-Interleave, OneVision):
     * {@code process_anyres_image}: a squashed overview plus the tiles of the best pinpoint.
     */
    ANYRES,
    /**
     * Anything else with a CLIP processor: resize the shortest edge to the side, centre crop (edges
     * lost). One image.
     */
    CROP,
    /**
     * Anything else with LLaVA-NeXT's SigLIP processor: direct resize to side x side, aspect not
     * kept (also the NeXT-Interleave demo's per-image path). One image.
     */
    SQUASH;

    /**
     * Maps an {@code image_aspect_ratio} value.
     *
     * @param imageAspectRatio e.g. {@code "pad"}, {@code "anyres"}, {@code "anyres_max_9"},
     *     {@code "square"} or null
     * @param siglipProcessor whether the vision tower's processor is NeXT's SigLipImageProcessor
     *     (direct resize) rather than CLIPImageProcessor (shortest edge + centre crop); decides the
     *     "anything else" case
     */
    public static AspectMode fromLlava(String imageAspectRatio, boolean siglipProcessor) {
        String v = imageAspectRatio == null ? "" : imageAspectRatio.trim().toLowerCase(Locale.ROOT);
        if (v.equals("pad")) {
            return PAD;
        }
        if (v.startsWith("anyres")) {
            return ANYRES;
        }
        return siglipProcessor ? SQUASH : CROP;
    }

    /** N of {@code "anyres_max_N"}, or 0 when the value has no such suffix. */
    public static int anyresMaxPatches(String imageAspectRatio) {
        if (imageAspectRatio == null) {
            return 0;
        }
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("anyres_max_(\\d+)").matcher(imageAspectRatio);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }
}
