package io.llava4j.convert.llava;

import io.llava4j.convert.CheckpointException;
import io.llava4j.gguf.LmSchema;
import java.util.Map;

/**
 * The language model's hyper-parameters, as {@code TextModel.set_gguf_parameters} and
 * {@code LlamaModel}/{@code Qwen2Model} in llama.cpp's converter read them from a config (with
 * transformers' {@code LlamaConfig}/{@code MistralConfig}/{@code Qwen2Config} defaults for keys HF
 * leaves out).
 *
 * @param arch llama.cpp architecture: {@code llama} (LLaMA, Vicuna, Mistral, Llama 3) or {@code qwen2}
 * @param nEmbd {@code hidden_size}
 * @param nLayer {@code num_hidden_layers}
 * @param nHead {@code num_attention_heads}
 * @param nHeadKv {@code num_key_value_heads} (defaults to {@code nHead})
 * @param nFf {@code intermediate_size}
 * @param nCtx {@code max_position_embeddings}
 * @param rmsEps {@code rms_norm_eps}
 * @param ropeTheta {@code rope_theta}
 */
record TextParams(
        String arch, int nEmbd, int nLayer, int nHead, int nHeadKv, int nFf, int nCtx, float rmsEps, float ropeTheta) {

    private static final Map<String, Object> LLAMA = Map.of(
            "hidden_size",
            4096L,
            "num_hidden_layers",
            32L,
            "num_attention_heads",
            32L,
            "intermediate_size",
            11008L,
            "max_position_embeddings",
            2048L,
            "rms_norm_eps",
            1e-6,
            "rope_theta",
            10000.0);
    private static final Map<String, Object> MISTRAL = Map.of(
            "hidden_size",
            4096L,
            "num_hidden_layers",
            32L,
            "num_attention_heads",
            32L,
            "num_key_value_heads",
            8L,
            "intermediate_size",
            14336L,
            "max_position_embeddings",
            131072L,
            "rms_norm_eps",
            1e-6,
            "rope_theta",
            10000.0);
    private static final Map<String, Object> QWEN2 = Map.of(
            "hidden_size",
            4096L,
            "num_hidden_layers",
            32L,
            "num_attention_heads",
            32L,
            "num_key_value_heads",
            32L,
            "intermediate_size",
            22016L,
            "max_position_embeddings",
            32768L,
            "rms_norm_eps",
            1e-6,
            "rope_theta",
            10000.0);

    /**
     * Reads the text parameters.
     *
     * @param c the text config ({@code text_config} of HF layouts, the top level otherwise)
     * @param family {@code llama}, {@code mistral} or {@code qwen2}
     */
    static TextParams read(ConfigMap c, String family) {
        ConfigMap m = c.withDefaults(
                switch (family) {
                    case "qwen2" -> QWEN2;
                    case "mistral" -> MISTRAL;
                    default -> LLAMA;
                });
        int nHead = m.integer("num_attention_heads");
        int nEmbd = m.integer("hidden_size");
        int nHeadKv = m.optionalInteger("num_key_value_heads").orElse(nHead);
        if (nHead <= 0 || nHeadKv <= 0 || nEmbd % nHead != 0 || nHead % nHeadKv != 0) {
            throw new CheckpointException(
                    c.file(),
                    "hidden_size " + nEmbd + ", num_attention_heads " + nHead + " and num_key_value_heads " + nHeadKv
                            + " do not fit together");
        }
        if (m.has("head_dim") && m.integer("head_dim") != nEmbd / nHead) {
            throw new CheckpointException(
                    c.file(),
                    "head_dim " + m.integer("head_dim") + " differs from hidden_size /"
                            + " num_attention_heads; not supported");
        }
        return new TextParams(
                family.equals("qwen2") ? LmSchema.QWEN2 : LmSchema.LLAMA,
                nEmbd,
                m.integer("num_hidden_layers"),
                nHead,
                nHeadKv,
                m.integer("intermediate_size"),
                m.integer("max_position_embeddings"),
                (float) m.number("rms_norm_eps"),
                (float) ropeTheta(c, m));
    }

    /**
     * {@code rope_theta}: transformers 5 writes it inside {@code rope_parameters} ({@code {"rope_theta": ..,
     * "rope_type": "default"}}, see {@code RotaryEmbeddingConfigMixin}), 4.x at the top level next to
     * {@code rope_scaling}. Scaled rope ({@code rope_type} other than {@code default}, or a non-null
     * {@code rope_scaling}) is refused: the GGUF would need rope-scaling keys this converter does not
     * write, and dropping them would silently change the model.
     */
    private static double ropeTheta(ConfigMap c, ConfigMap withDefaults) {
        ConfigMap rope = c.object("rope_parameters").orElse(null);
        String type = rope == null ? null : rope.string("rope_type").orElse("default");
        if (type == null && c.object("rope_scaling").isPresent()) {
            type = c.object("rope_scaling")
                    .get()
                    .string("rope_type")
                    .or(() -> c.object("rope_scaling").get().string("type"))
                    .orElse("?");
        }
        if (type != null && !type.equals("default")) {
            throw new CheckpointException(
                    c.file(),
                    "rope type " + type + " (rope_parameters / rope_scaling) is not"
                            + " supported; llava4j converts models with plain rope");
        }
        if (rope == null) {
            return withDefaults.number("rope_theta");
        }
        if (!rope.has("rope_theta")) { // e.g. per-layer-type parameters, which LLaMA/Qwen2 do not have
            throw rope.bad("rope_parameters.rope_theta", null, "the rope base frequency");
        }
        return rope.number("rope_theta");
    }

    /** Head size, also the rope dimension count. */
    int headDim() {
        return nEmbd / nHead;
    }
}
