package io.llava4j.convert.llava;

import java.util.Map;
import java.util.Optional;

/**
 * The vision tower's hyper-parameters ({@code CLIPVisionConfig} or {@code SiglipVisionConfig}),
 * with transformers' defaults for missing keys, as {@code MmprojModel.set_gguf_parameters} and the
 * legacy {@code convert_image_encoder_to_gguf.py} read them.
 *
 * @param siglip a SigLIP tower (no class embedding, no pre-LN, patch bias, GELU, mean = std = 0.5)
 * @param imageSize {@code image_size}
 * @param patchSize {@code patch_size}
 * @param nEmbd {@code hidden_size}
 * @param nHead {@code num_attention_heads}
 * @param nFf {@code intermediate_size}
 * @param nLayer {@code num_hidden_layers} of the tower as configured
 * @param eps {@code layer_norm_eps}
 * @param gelu {@code hidden_act} is a GELU ({@code clip.use_gelu}); CLIP's {@code quick_gelu} otherwise
 */
record VisionParams(
        boolean siglip,
        int imageSize,
        int patchSize,
        int nEmbd,
        int nHead,
        int nFf,
        int nLayer,
        float eps,
        boolean gelu) {

    /** OpenAI CLIP's normalisation. */
    static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};

    static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};
    /** SigLIP's normalisation. */
    static final float[] SIGLIP_MEAN = {0.5f, 0.5f, 0.5f};

    private static final Map<String, Object> CLIP_DEFAULTS = Map.of(
            "hidden_size",
            768L,
            "intermediate_size",
            3072L,
            "num_hidden_layers",
            12L,
            "num_attention_heads",
            12L,
            "image_size",
            224L,
            "patch_size",
            32L,
            "layer_norm_eps",
            1e-5,
            "hidden_act",
            "quick_gelu");
    private static final Map<String, Object> SIGLIP_DEFAULTS = Map.of(
            "hidden_size",
            768L,
            "intermediate_size",
            3072L,
            "num_hidden_layers",
            12L,
            "num_attention_heads",
            12L,
            "image_size",
            224L,
            "patch_size",
            16L,
            "layer_norm_eps",
            1e-6,
            "hidden_act",
            "gelu_pytorch_tanh");
    /** The towers LLaVA checkpoints name in {@code mm_vision_tower}, for layouts whose config has no vision config. */
    private static final Map<String, Map<String, Object>> KNOWN = Map.of(
            "openai/clip-vit-large-patch14-336",
                    Map.of(
                            "model_type",
                            "clip_vision_model",
                            "hidden_size",
                            1024L,
                            "intermediate_size",
                            4096L,
                            "num_hidden_layers",
                            24L,
                            "num_attention_heads",
                            16L,
                            "image_size",
                            336L,
                            "patch_size",
                            14L),
            "openai/clip-vit-large-patch14",
                    Map.of(
                            "model_type",
                            "clip_vision_model",
                            "hidden_size",
                            1024L,
                            "intermediate_size",
                            4096L,
                            "num_hidden_layers",
                            24L,
                            "num_attention_heads",
                            16L,
                            "image_size",
                            224L,
                            "patch_size",
                            14L),
            "google/siglip-so400m-patch14-384",
                    Map.of(
                            "model_type",
                            "siglip_vision_model",
                            "hidden_size",
                            1152L,
                            "intermediate_size",
                            4304L,
                            "num_hidden_layers",
                            27L,
                            "num_attention_heads",
                            16L,
                            "image_size",
                            384L,
                            "patch_size",
                            14L));

    /** The built-in config of a well-known tower name, if it is one. */
    static Optional<Map<String, Object>> known(String towerName) {
        return Optional.ofNullable(KNOWN.get(towerName));
    }

    /** Reads a vision config; {@code siglip} decides the defaults. */
    static VisionParams read(ConfigMap c, boolean siglip) {
        ConfigMap m = c.withDefaults(siglip ? SIGLIP_DEFAULTS : CLIP_DEFAULTS);
        String act = m.string("hidden_act").orElse("quick_gelu");
        return new VisionParams(
                siglip,
                m.integer("image_size"),
                m.integer("patch_size"),
                m.integer("hidden_size"),
                m.integer("num_attention_heads"),
                m.integer("intermediate_size"),
                m.integer("num_hidden_layers"),
                (float) m.number("layer_norm_eps"),
                act.startsWith("gelu"));
    }

    /** The same tower with {@code n} blocks (what the checkpoint holds). */
    VisionParams withLayers(int n) {
        return new VisionParams(siglip, imageSize, patchSize, nEmbd, nHead, nFf, n, eps, gelu);
    }

    float[] defaultMean() {
        return siglip ? SIGLIP_MEAN : CLIP_MEAN;
    }

    float[] defaultStd() {
        return siglip ? SIGLIP_MEAN : CLIP_STD;
    }
}
