package io.llava4j.gguf;

import java.util.Objects;

/**
 * The LLaVA mmproj GGUF llava4j writes (CLIP or SigLIP tower, {@code mlp} projector), owned in one
 * place so that the converter ({@code io.llava4j.convert.llava}) and the random-weight models
 * ({@code io.llava4j.synthetic}) cannot drift apart: the metadata keys, their types and order
 * ({@link #newWriter}) and the tensor names. Keys and types follow
 * {@code clip_model_loader::load_hparams} in the pinned tools/mtmd/clip.cpp (every count a UINT32,
 * as {@code get_u32} aborts on another type; epsilon FLOAT32; pinpoints and feature layers INT32
 * arrays; mean/std FLOAT32 arrays), tensor names clip-impl.h's {@code TN_*}.
 */
public final class MmprojSchema {
    private MmprojSchema() {}

    /** {@code v.class_embd} ({@code TN_CLASS_EMBD}; CLIP only): ne {@code [n_embd]}. */
    public static final String CLASS_EMBD = "v.class_embd";
    /** {@code v.patch_embd.weight} ({@code TN_PATCH_EMBD}): ne {@code [patch, patch, 3, n_embd]}, always F16 (ggml's conv im2col). */
    public static final String PATCH_EMBD = "v.patch_embd.weight";
    /** {@code v.patch_embd.bias} ({@code TN_PATCH_BIAS}; SigLIP only): ne {@code [n_embd]}. */
    public static final String PATCH_BIAS = "v.patch_embd.bias";
    /** {@code v.position_embd.weight} ({@code TN_POS_EMBD}): ne {@code [n_embd, positions]}. */
    public static final String POSITION_EMBD = "v.position_embd.weight";
    /** {@code v.pre_ln.weight} ({@code TN_LN_PRE}; CLIP only). */
    public static final String PRE_LN_WEIGHT = "v.pre_ln.weight";
    /** {@code v.pre_ln.bias} ({@code TN_LN_PRE}; CLIP only). */
    public static final String PRE_LN_BIAS = "v.pre_ln.bias";

    /** {@code mm.<index>.<param>} ({@code TN_LLAVA_PROJ}): index 0 and 2 of {@code mlp2x_gelu}, param {@code weight} or {@code bias}. */
    public static String projector(int index, String param) {
        return "mm." + index + "." + param;
    }

    /** The ViT block tensors, {@code v.blk.%d.<name>.%s} in clip-impl.h. */
    public enum Block {
        ATTN_Q("attn_q"),
        ATTN_K("attn_k"),
        ATTN_V("attn_v"),
        /** {@code TN_ATTN_OUTPUT}. */
        ATTN_OUT("attn_out"),
        /** {@code TN_LN_1}. */
        LN1("ln1"),
        /** {@code TN_LN_2}. */
        LN2("ln2"),
        FFN_UP("ffn_up"),
        FFN_DOWN("ffn_down");

        private final String base;

        Block(String base) {
            this.base = base;
        }

        /** {@code v.blk.<block>.<name>.<param>}, param {@code weight} or {@code bias}. */
        public String name(int block, String param) {
            return "v.blk." + block + "." + base + "." + param;
        }

        /** {@code v.blk.<block>.<name>.weight}. */
        public String weight(int block) {
            return name(block, "weight");
        }

        /** {@code v.blk.<block>.<name>.bias}. */
        public String bias(int block) {
            return name(block, "bias");
        }
    }

    /** Which converter's layout the file has. */
    public enum Layout {
        /**
         * tools/mtmd/legacy-models/convert_image_encoder_to_gguf.py: {@code clip.has_text_encoder = false},
         * {@code clip.has_llava_projector}, fc1/fc2 named {@code ffn_down}/{@code ffn_up} (clip.cpp swaps
         * them back by shape), newline {@code model.image_newline} (llava_surgery_v2), no {@code general.type}.
         */
        LEGACY,
        /** convert_hf_to_gguf.py's {@code MmprojModel}: {@code general.type = mmproj}, standard names. */
        FULL;

        /** The tensor of the MLP's first linear ({@code fc1}, width to feed-forward width). */
        public Block fc1() {
            return this == LEGACY ? Block.FFN_DOWN : Block.FFN_UP;
        }

        /** The tensor of the MLP's second linear ({@code fc2}, feed-forward width to width). */
        public Block fc2() {
            return this == LEGACY ? Block.FFN_UP : Block.FFN_DOWN;
        }

        /** LLaVA-NeXT's newline embedding: {@code TN_IMAGE_NEWLINE} ({@code v.image_newline}), or the legacy name. */
        public String imageNewline() {
            return this == LEGACY ? "model.image_newline" : "v.image_newline";
        }
    }

    /**
     * The header of an mmproj.
     *
     * @param layout legacy or full
     * @param name {@code general.name}
     * @param description {@code general.description}, or null for none
     * @param fileType {@code general.file_type}
     * @param imageSize input side in pixels
     * @param patchSize patch side in pixels
     * @param nEmbd ViT width
     * @param nFf ViT feed-forward width
     * @param nBlock ViT blocks stored in the file
     * @param nHead ViT attention heads
     * @param eps layer-norm epsilon
     * @param projectionDim {@code clip.vision.projection_dim}: the LM width (full), CLIP's own projection width (legacy)
     * @param mean image normalisation mean (3 values)
     * @param std image normalisation standard deviation (3 values)
     * @param gelu GELU (SigLIP) rather than CLIP's quick-GELU
     * @param featureLayer {@code clip.vision.feature_layer}, or null for none (clip.cpp then reads the last block)
     * @param mergeType {@code clip.vision.mm_patch_merge_type}, or null for none ({@code flat})
     * @param gridPinpoints flattened anyres (width, height) pairs, or null for none
     * @param aspectRatio {@code clip.vision.image_aspect_ratio}, or null for none
     */
    public record Header(
            Layout layout,
            String name,
            String description,
            int fileType,
            int imageSize,
            int patchSize,
            int nEmbd,
            int nFf,
            int nBlock,
            int nHead,
            float eps,
            long projectionDim,
            float[] mean,
            float[] std,
            boolean gelu,
            int[] featureLayer,
            String mergeType,
            int[] gridPinpoints,
            String aspectRatio) {
        public Header {
            Objects.requireNonNull(layout, "layout");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(mean, "mean");
            Objects.requireNonNull(std, "std");
        }
    }

    /**
     * A writer holding the header's metadata; the caller adds the tensors. Optional keys (the
     * layout's, feature layer, merge type, description, pinpoints, aspect ratio) are written when
     * given, in this order: general, encoder flags, projector, tower shape, normalisation,
     * activation, LLaVA extras.
     */
    public static GgufWriter newWriter(Header h) {
        boolean legacy = h.layout() == Layout.LEGACY;
        GgufWriter w = new GgufWriter().putString(GeneralKeys.ARCHITECTURE, ClipKeys.ARCHITECTURE);
        if (!legacy) {
            w.putString(GeneralKeys.TYPE, GeneralKeys.TYPE_MMPROJ);
        }
        w.putString(GeneralKeys.NAME, h.name()).putU32(GeneralKeys.FILE_TYPE, h.fileType());
        if (legacy) {
            w.putBool(ClipKeys.HAS_TEXT_ENCODER, false);
        }
        w.putBool(ClipKeys.HAS_VISION_ENCODER, true);
        if (legacy) {
            w.putBool(ClipKeys.HAS_LLAVA_PROJECTOR, true);
        }
        w.putString(ClipKeys.PROJECTOR_TYPE, ClipKeys.PROJECTOR_MLP)
                .putU32(ClipKeys.VISION_PROJECTION_DIM, h.projectionDim())
                .putU32(ClipKeys.VISION_IMAGE_SIZE, h.imageSize())
                .putU32(ClipKeys.VISION_PATCH_SIZE, h.patchSize())
                .putU32(ClipKeys.VISION_EMBEDDING_LENGTH, h.nEmbd())
                .putU32(ClipKeys.VISION_FEED_FORWARD_LENGTH, h.nFf())
                .putU32(ClipKeys.VISION_BLOCK_COUNT, h.nBlock())
                .putU32(ClipKeys.VISION_HEAD_COUNT, h.nHead())
                .putF32(ClipKeys.VISION_LAYER_NORM_EPS, h.eps())
                .putF32Array(ClipKeys.VISION_IMAGE_MEAN, h.mean())
                .putF32Array(ClipKeys.VISION_IMAGE_STD, h.std())
                // CLIP-L uses quick_gelu; SigLIP's gelu_pytorch_tanh is ggml_gelu (the tanh
                // approximation), which clip.cpp picks with use_gelu (FFN_GELU)
                .putBool(ClipKeys.USE_GELU, h.gelu());
        if (h.featureLayer() != null) {
            w.putI32Array(ClipKeys.VISION_FEATURE_LAYER, h.featureLayer());
        }
        if (h.mergeType() != null) {
            w.putString(ClipKeys.VISION_MM_PATCH_MERGE_TYPE, h.mergeType());
        }
        if (h.description() != null) {
            w.putString(GeneralKeys.DESCRIPTION, h.description());
        }
        if (h.gridPinpoints() != null) {
            w.putI32Array(ClipKeys.VISION_IMAGE_GRID_PINPOINTS, h.gridPinpoints());
        }
        if (h.aspectRatio() != null) {
            w.putString(ClipKeys.VISION_IMAGE_ASPECT_RATIO, h.aspectRatio());
        }
        return w;
    }
}
