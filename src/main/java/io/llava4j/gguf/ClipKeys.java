package io.llava4j.gguf;

/**
 * The mmproj metadata keys llava4j reads or writes ({@code general.architecture = clip}). Constant
 * names follow the pinned llama.cpp's tools/mtmd/clip-impl.h: {@code KEY_N_EMBD} there is
 * {@code "clip.%s.embedding_length"} with {@code %s = vision}, here {@link #VISION_EMBEDDING_LENGTH}.
 * The types are those {@code clip_model_loader::get_u32/get_f32/get_bool/get_string/get_arr_int}
 * demand; a UINT32 key of another type aborts clip.cpp (see {@code ModelFileCheck}).
 */
public final class ClipKeys {
    private ClipKeys() {}

    /** {@code general.architecture} of every mmproj. */
    public static final String ARCHITECTURE = "clip";

    /** {@code clip.projector_type} (STRING; {@code KEY_PROJ_TYPE}). */
    public static final String PROJECTOR_TYPE = "clip.projector_type";
    /** {@code clip.vision.projector_type} (STRING, models with mixed modalities; {@code KEY_VISION_PROJ_TYPE}). */
    public static final String VISION_PROJECTOR_TYPE = "clip.vision.projector_type";
    /** {@code clip.has_text_encoder} (BOOL; written by the legacy converter, not read by the pinned clip.cpp). */
    public static final String HAS_TEXT_ENCODER = "clip.has_text_encoder";
    /** {@code clip.has_vision_encoder} (BOOL; {@code KEY_HAS_VISION_ENC}). */
    public static final String HAS_VISION_ENCODER = "clip.has_vision_encoder";
    /** {@code clip.has_audio_encoder} (BOOL; {@code KEY_HAS_AUDIO_ENC}). */
    public static final String HAS_AUDIO_ENCODER = "clip.has_audio_encoder";
    /** {@code clip.has_llava_projector} (BOOL, legacy files; {@code KEY_HAS_LLAVA_PROJ}). */
    public static final String HAS_LLAVA_PROJECTOR = "clip.has_llava_projector";
    /** {@code clip.use_gelu} (BOOL: GELU instead of quick-GELU; {@code KEY_USE_GELU}). */
    public static final String USE_GELU = "clip.use_gelu";
    /** {@code clip.use_silu} (BOOL; {@code KEY_USE_SILU}). */
    public static final String USE_SILU = "clip.use_silu";
    /** {@code clip.minicpmv_version} (INT32; {@code KEY_MINICPMV_VERSION}). */
    public static final String MINICPMV_VERSION = "clip.minicpmv_version";

    /** {@code clip.vision.embedding_length} (UINT32 tower width; {@code KEY_N_EMBD}). */
    public static final String VISION_EMBEDDING_LENGTH = "clip.vision.embedding_length";
    /** {@code clip.vision.feed_forward_length} (UINT32; {@code KEY_N_FF}). */
    public static final String VISION_FEED_FORWARD_LENGTH = "clip.vision.feed_forward_length";
    /** {@code clip.vision.block_count} (UINT32 blocks stored; {@code KEY_N_BLOCK}). */
    public static final String VISION_BLOCK_COUNT = "clip.vision.block_count";
    /** {@code clip.vision.projection_dim} (UINT32; {@code KEY_PROJ_DIM}). */
    public static final String VISION_PROJECTION_DIM = "clip.vision.projection_dim";
    /** {@code clip.vision.attention.head_count} (UINT32; {@code KEY_N_HEAD}). */
    public static final String VISION_HEAD_COUNT = "clip.vision.attention.head_count";
    /** {@code clip.vision.attention.head_count_kv} (UINT32; {@code KEY_N_HEAD_KV}). */
    public static final String VISION_HEAD_COUNT_KV = "clip.vision.attention.head_count_kv";
    /** {@code clip.vision.attention.head_dim} (UINT32; {@code KEY_N_EMBD_HEAD}). */
    public static final String VISION_HEAD_DIM = "clip.vision.attention.head_dim";
    /** {@code clip.vision.attention.layer_norm_epsilon} (FLOAT32; {@code KEY_LAYER_NORM_EPS}). */
    public static final String VISION_LAYER_NORM_EPS = "clip.vision.attention.layer_norm_epsilon";
    /** {@code clip.vision.feature_layer} (INT32 array of hidden-state indices; {@code KEY_FEATURE_LAYERS}). */
    public static final String VISION_FEATURE_LAYER = "clip.vision.feature_layer";
    /** {@code clip.vision.image_size} (UINT32 input side in pixels; {@code KEY_IMAGE_SIZE}). */
    public static final String VISION_IMAGE_SIZE = "clip.vision.image_size";
    /** {@code clip.vision.image_min_pixels} (UINT32; {@code KEY_IMAGE_MIN_PIXELS}). */
    public static final String VISION_IMAGE_MIN_PIXELS = "clip.vision.image_min_pixels";
    /** {@code clip.vision.image_max_pixels} (UINT32; {@code KEY_IMAGE_MAX_PIXELS}). */
    public static final String VISION_IMAGE_MAX_PIXELS = "clip.vision.image_max_pixels";
    /** {@code clip.vision.patch_size} (UINT32; {@code KEY_PATCH_SIZE}). */
    public static final String VISION_PATCH_SIZE = "clip.vision.patch_size";
    /** {@code clip.vision.image_mean} (FLOAT32 array of 3; {@code KEY_IMAGE_MEAN}). */
    public static final String VISION_IMAGE_MEAN = "clip.vision.image_mean";
    /** {@code clip.vision.image_std} (FLOAT32 array of 3; {@code KEY_IMAGE_STD}). */
    public static final String VISION_IMAGE_STD = "clip.vision.image_std";
    /** {@code clip.vision.spatial_merge_size} (UINT32; {@code KEY_SPATIAL_MERGE_SIZE}). */
    public static final String VISION_SPATIAL_MERGE_SIZE = "clip.vision.spatial_merge_size";
    /** {@code clip.vision.mm_patch_merge_type} (STRING {@code flat} or {@code spatial_unpad}; {@code KEY_MM_PATCH_MERGE_TYPE}). */
    public static final String VISION_MM_PATCH_MERGE_TYPE = "clip.vision.mm_patch_merge_type";
    /** {@code clip.vision.image_grid_pinpoints} (INT32 array of flattened (width, height); {@code KEY_IMAGE_GRID_PINPOINTS}). */
    public static final String VISION_IMAGE_GRID_PINPOINTS = "clip.vision.image_grid_pinpoints";
    /**
     * {@code clip.vision.image_aspect_ratio} (STRING {@code anyres}, {@code pad}, ...; written by the
     * legacy {@code convert_image_encoder_to_gguf.py}, not read by the pinned clip.cpp).
     */
    public static final String VISION_IMAGE_ASPECT_RATIO = "clip.vision.image_aspect_ratio";

    /** {@code clip.projector_type} of LLaVA's two-layer MLP ({@code PROJECTOR_TYPE_MLP}). */
    public static final String PROJECTOR_MLP = "mlp";
    /** {@code clip.vision.mm_patch_merge_type}: one tile, patches in a row (the default). */
    public static final String MERGE_FLAT = "flat";
    /** {@code clip.vision.mm_patch_merge_type}: LLaVA-NeXT's anyres tiles, unpadded, with newline embeddings. */
    public static final String MERGE_SPATIAL_UNPAD = "spatial_unpad";
}
