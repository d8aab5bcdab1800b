package io.llava4j.synthetic;

import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.MmprojSchema;

/**
 * The shape and flavour of a random-weight LLaVA mmproj (CLIP or SigLIP ViT + {@code mlp} projector)
 * that {@link SyntheticModels} writes. Immutable; {@code with...} methods return modified copies.
 *
 * @param imageSize input side in pixels ({@code clip.vision.image_size}); a multiple of {@code patchSize}
 *     for CLIP, at least {@code patchSize} for SigLIP
 * @param patchSize patch side in pixels (14 for CLIP-L/14)
 * @param nEmbd ViT width
 * @param nHead ViT attention heads
 * @param nFf ViT feed-forward width (keep it different from {@code nEmbd}: clip.cpp guesses swapped
 *     legacy FFN names from the shapes)
 * @param nLayer depth of the original ViT ({@code num_hidden_layers}); how many blocks end up in the
 *     file depends on {@code legacy} and {@code featureLayer}, see {@link #blocksWritten()}
 * @param lmWidth projector output width: the language model's {@code n_embd}
 * @param legacy written like {@code tools/mtmd/legacy-models/convert_image_encoder_to_gguf.py}: last
 *     ViT block dropped ({@code block_count = nLayer - 1}), fc1/fc2 named {@code ffn_down}/{@code
 *     ffn_up}, {@code clip.has_llava_projector}, {@code projection_dim} = CLIP's own width, newline
 *     tensor named {@code model.image_newline}; otherwise "full": all blocks, standard FFN names,
 *     {@code projection_dim} = {@code lmWidth}, {@code v.image_newline}
 * @param featureLayer write {@code clip.vision.feature_layer = [nLayer - 1]} (LLaVA's
 *     {@code vision_feature_layer = -2} made non-negative, as the converters do)
 * @param anyres LLaVA-1.6 style: {@code clip.vision.image_grid_pinpoints} (1x2, 2x1, 2x2, 3x1, 1x3
 *     tiles of {@code imageSize}), {@code mm_patch_merge_type = spatial_unpad} and an image newline
 *     tensor
 * @param siglip a SigLIP tower as LLaVA-NeXT's {@code SigLipVisionTower} (lmms-lab checkpoints such
 *     as llava-next-interleave-qwen) uses google/siglip-so400m-patch14-384: no class embedding, a
 *     patch-embedding bias, no pre-LN, one position per patch, GELU (tanh) MLP
 *     ({@code clip.use_gelu}), mean = std = 0.5, layer-norm epsilon 1e-6; the tower's last block is
 *     dropped as {@code SigLipVisionTower} deletes it ({@code block_count = nLayer - 1}), so with
 *     {@code featureLayer} the graph runs every stored block. Full layout only
 * @param weightType F32, or F16 for 2-D {@code .weight} tensors as the converter's f16 mode does
 *     (the patch embedding is always F16: ggml's conv im2col needs it; 1-D tensors always F32)
 * @param seed weight seed (see {@link RandomWeights})
 */
public record ClipSpec(
        int imageSize,
        int patchSize,
        int nEmbd,
        int nHead,
        int nFf,
        int nLayer,
        int lmWidth,
        boolean legacy,
        boolean featureLayer,
        boolean anyres,
        boolean siglip,
        GgmlType weightType,
        long seed) {

    /** CLIP's normalisation (OpenAI CLIP / LLaVA-1.5 {@code image_mean}). */
    public static final float[] IMAGE_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    /** CLIP's normalisation ({@code image_std}). */
    public static final float[] IMAGE_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    public static final float LAYER_NORM_EPS = 1e-5f;
    /** SigLIP's normalisation: {@code image_mean} = {@code image_std} = 0.5 (SiglipImageProcessor). */
    public static final float[] SIGLIP_MEAN_STD = {0.5f, 0.5f, 0.5f};
    /** SigLIP's {@code layer_norm_eps} (SiglipVisionConfig's default). */
    public static final float SIGLIP_LAYER_NORM_EPS = 1e-6f;

    public ClipSpec {
        // SigLIP-so400m's 384 px is no multiple of 14: its stride-14 Conv2d, like ggml_conv_2d in
        // clip.cpp, leaves out the last 384 - 27 * 14 = 6 pixel rows and columns
        if (imageSize <= 0 || patchSize <= 0 || imageSize < patchSize || (!siglip && imageSize % patchSize != 0)) {
            throw new IllegalArgumentException(
                    "imageSize " + imageSize + " must be a positive multiple of patchSize " + patchSize);
        }
        if (nEmbd <= 0 || nHead <= 0 || nEmbd % nHead != 0 || nFf <= 0 || lmWidth <= 0) {
            throw new IllegalArgumentException("bad widths " + nEmbd + "/" + nHead + "/" + nFf + "/" + lmWidth);
        }
        if (nLayer < 2) {
            throw new IllegalArgumentException("nLayer must be at least 2 (LLaVA reads the second-to-last layer)");
        }
        if (weightType != GgmlType.F32 && weightType != GgmlType.F16) {
            throw new IllegalArgumentException("weightType must be f32 or f16, not " + weightType);
        }
        if (siglip && legacy) {
            throw new IllegalArgumentException("a SigLIP tower is written in the full layout only (withLegacy(false))");
        }
    }

    /**
     * A tiny LLaVA-1.5 style mmproj: 336 px input (576 patches), width 32, 4 heads, 3 layers,
     * legacy layout, no feature_layer, no anyres, F32.
     */
    public static ClipSpec tiny(int lmWidth) {
        return new ClipSpec(336, 14, 32, 4, 128, 3, lmWidth, true, false, false, false, GgmlType.F32, 1);
    }

    /**
     * A tiny LLaVA-NeXT-Interleave style SigLIP mmproj: 384 px input, patch 14 (729 patches), width
     * 32, 4 heads, 3 layers of which 2 are stored, {@code feature_layer = [2]}, full layout, no
     * anyres, F32.
     */
    public static ClipSpec tinySiglip(int lmWidth) {
        return new ClipSpec(384, 14, 32, 4, 128, 3, lmWidth, false, true, false, true, GgmlType.F32, 1);
    }

    /** The real CLIP ViT-L/14-336 shape of LLaVA-1.5 (24 layers, width 1024), legacy layout, F16. */
    public static ClipSpec clipL336(int lmWidth) {
        return new ClipSpec(336, 14, 1024, 16, 4096, 24, lmWidth, true, false, false, false, GgmlType.F16, 1);
    }

    public ClipSpec withSeed(long s) {
        return new ClipSpec(
                imageSize,
                patchSize,
                nEmbd,
                nHead,
                nFf,
                nLayer,
                lmWidth,
                legacy,
                featureLayer,
                anyres,
                siglip,
                weightType,
                s);
    }

    public ClipSpec withImageSize(int size) {
        return new ClipSpec(
                size,
                patchSize,
                nEmbd,
                nHead,
                nFf,
                nLayer,
                lmWidth,
                legacy,
                featureLayer,
                anyres,
                siglip,
                weightType,
                seed);
    }

    /** Another ViT shape (width, heads, feed-forward width, depth). */
    public ClipSpec withShape(int embd, int heads, int ff, int layers) {
        return new ClipSpec(
                imageSize,
                patchSize,
                embd,
                heads,
                ff,
                layers,
                lmWidth,
                legacy,
                featureLayer,
                anyres,
                siglip,
                weightType,
                seed);
    }

    public ClipSpec withLegacy(boolean l) {
        return new ClipSpec(
                imageSize,
                patchSize,
                nEmbd,
                nHead,
                nFf,
                nLayer,
                lmWidth,
                l,
                featureLayer,
                anyres,
                siglip,
                weightType,
                seed);
    }

    public ClipSpec withFeatureLayer(boolean f) {
        return new ClipSpec(
                imageSize, patchSize, nEmbd, nHead, nFf, nLayer, lmWidth, legacy, f, anyres, siglip, weightType, seed);
    }

    public ClipSpec withAnyres(boolean a) {
        return new ClipSpec(
                imageSize,
                patchSize,
                nEmbd,
                nHead,
                nFf,
                nLayer,
                lmWidth,
                legacy,
                featureLayer,
                a,
                siglip,
                weightType,
                seed);
    }

    public ClipSpec withSiglip(boolean g) {
        return new ClipSpec(
                imageSize,
                patchSize,
                nEmbd,
                nHead,
                nFf,
                nLayer,
                lmWidth,
                legacy,
                featureLayer,
                anyres,
                g,
                weightType,
                seed);
    }

    public ClipSpec withWeightType(GgmlType t) {
        return new ClipSpec(
                imageSize,
                patchSize,
                nEmbd,
                nHead,
                nFf,
                nLayer,
                lmWidth,
                legacy,
                featureLayer,
                anyres,
                siglip,
                t,
                seed);
    }

    /** Patches per image side (rounded down, as the stride-{@code patchSize} convolution does). */
    public int patchesPerSide() {
        return imageSize / patchSize;
    }

    /** Image tokens of one tile: patches only (the CLS token, which SigLIP does not have, is dropped by the projector). */
    public int nPatches() {
        return patchesPerSide() * patchesPerSide();
    }

    /** Rows of {@code v.position_embd.weight}: one per patch, plus the class token's for CLIP. */
    public int nPositions() {
        return nPatches() + (siglip ? 0 : 1);
    }

    /** ViT blocks in the file, which is also {@code clip.vision.block_count}. */
    public int blocksWritten() {
        return legacy || siglip ? nLayer - 1 : nLayer;
    }

    /** {@code clip.vision.image_mean}: CLIP's or SigLIP's. */
    public float[] imageMean() {
        return (siglip ? SIGLIP_MEAN_STD : IMAGE_MEAN).clone();
    }

    /** {@code clip.vision.image_std}: CLIP's or SigLIP's. */
    public float[] imageStd() {
        return (siglip ? SIGLIP_MEAN_STD : IMAGE_STD).clone();
    }

    /** {@code clip.vision.attention.layer_norm_epsilon}: CLIP's or SigLIP's. */
    public float layerNormEps() {
        return siglip ? SIGLIP_LAYER_NORM_EPS : LAYER_NORM_EPS;
    }

    /** The file's layout: {@link MmprojSchema.Layout#LEGACY} if {@link #legacy}, else {@link MmprojSchema.Layout#FULL}. */
    public MmprojSchema.Layout layout() {
        return legacy ? MmprojSchema.Layout.LEGACY : MmprojSchema.Layout.FULL;
    }

    /** The newline tensor's name when {@link #anyres}: {@code model.image_newline} if legacy, else {@code v.image_newline}. */
    public String imageNewlineName() {
        return layout().imageNewline();
    }

    /** Flattened (width, height) pinpoints for anyres: 1x2, 2x1, 2x2, 3x1 and 1x3 tiles, as LLaVA-1.6 lists them. */
    public int[] gridPinpoints() {
        int s = imageSize;
        return new int[] {s, 2 * s, 2 * s, s, 2 * s, 2 * s, 3 * s, s, s, 3 * s};
    }
}
