package io.llava4j.convert.llava;

import io.llava4j.convert.CheckpointException;
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
record TextParams(String arch, int nEmbd, int nLayer, int nHead, int nHeadKv, int nFf, int nCtx, float rmsEps,
        float ropeTheta) {

    private static final Map<String, Object> LLAMA = Map.of("hidden_size", 4096L, "num_hidden_layers", 32L,
            "num_attention_heads", 32L, "intermediate_size", 11008L, "max_position_embeddings", 2048L,
            "rms_norm_eps", 1e-6, "rope_theta", 10000.0);
    private static final Map<String, Object> MISTRAL = Map.of("hidden_size", 4096L, "num_hidden_layers", 32L,
            "num_attention_heads", 32L, "num_key_value_heads", 8L, "intermediate_size", 14336L,
            "max_position_embeddings", 131072L, "rms_norm_eps", 1e-6, "rope_theta", 10000.0);
    private static final Map<String, Object> QWEN2 = Map.of("hidden_size", 4096L, "num_hidden_layers", 32L,
            "num_attention_heads", 32L, "num_key_value_heads", 32L, "intermediate_size", 22016L,
            "max_position_embeddings", 32768L, "rms_norm_eps", 1e-6, "rope_theta", 10000.0);

    /**
     * Reads the text parameters.
     *
     * @param c the text config ({@code text_config} of HF layouts, the top level otherwise)
     * @param family {@code llama}, {@code mistral} or {@code qwen2}
     */
    static TextParams read(ConfigMap c, String family) {
        ConfigMap m = c.withDefaults(switch (family) {
            case "qwen2" -> QWEN2;
            case "mistral" -> MISTRAL;
            default -> LLAMA;
        });
        int nHead = m.integer("num_attention_heads");
        int nEmbd = m.integer("hidden_size");
        int nHeadKv = m.optionalInteger("num_key_value_heads").orElse(nHead);
        if (nHead <= 0 || nHeadKv <= 0 || nEmbd % nHead != 0 || nHead % nHeadKv != 0) {
            throw new CheckpointException(c.file(), "hidden_size " + nEmbd + ", num_attention_heads " + nHead
                    + " and num_key_value_heads " + nHeadKv + " do not fit together");
        }
        if (m.has("head_dim") && m.integer("head_dim") != nEmbd / nHead) {
            throw new CheckpointException(c.file(), "head_dim " + m.integer("head_dim") + " differs from hidden_size /"
                    + " num_attention_heads; not supported");
        }
        return new TextParams(family.equals("qwen2") ? "qwen2" : "llama", nEmbd, m.integer("num_hidden_layers"), nHead,
                nHeadKv, m.integer("intermediate_size"), m.integer("max_position_embeddings"),
                (float) m.number("rms_norm_eps"), (float) m.number("rope_theta"));
    }

    /** Head size, also the rope dimension count. */
    int headDim() {
        return nEmbd / nHead;
    }
}
