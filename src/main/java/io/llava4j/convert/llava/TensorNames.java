package io.llava4j.convert.llava;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checkpoint tensor names to GGUF names. First every layout's prefixes are reduced to one
 * canonical form ({@link #canonical}): the language model as HF {@code LlamaForCausalLM} /
 * {@code Qwen2ForCausalLM} names it ({@code model.layers.0.self_attn.q_proj.weight},
 * {@code lm_head.weight}), the tower as {@code vision:} + HF {@code CLIPVisionModel}'s
 * {@code vision_model.*} suffix, the projector as {@code mm:<index>.<param>} and the LLaVA-NeXT
 * newline as {@code newline}. Then {@link #lm} and {@link #vision} give the names the pinned
 * llama.cpp loads: the tensor map of gguf-py ({@code MODEL_TENSOR.*} for LLAMA/QWEN2) and
 * clip-impl.h's {@code TN_*} for the mmproj ({@code fc1} is {@code ffn_up}, as in files of
 * convert_hf_to_gguf, not the legacy converter's swapped names).
 */
final class TensorNames {
    private TensorNames() {}

    private static final Pattern LM_LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    private static final Pattern VIT_LAYER = Pattern.compile("encoder\\.layers\\.(\\d+)\\.(.+)");

    /**
     * Tower prefixes, longest first. transformers 5 dropped the {@code vision_model.} level of
     * {@code CLIPVisionModel}/{@code SiglipVisionModel} ({@code PrefixChange(prefix_to_remove="vision_model")}
     * in conversion_mapping.py), and {@code save_pretrained} of a model built from its config writes the
     * tower without it ({@code revert_weight_conversion} drops {@code PrefixChange} when the model was
     * not loaded with {@code from_pretrained}); with {@code save_original_format=False} the in-memory
     * names {@code model.vision_tower.*} are written.
     */
    private static final String[] TOWER_PREFIXES = {"model.vision_tower.vision_tower.vision_model.",
        "model.vision_tower.vision_model.", "vision_tower.vision_model.", "vision_model.", "model.vision_tower.",
        "vision_tower."};

    /** The tower prefixes, for messages. */
    static String towerPrefixes() {
        return String.join(", ", TOWER_PREFIXES);
    }

    /**
     * The canonical name of a checkpoint tensor, or empty if the tensor is not converted.
     *
     * <ul>
     *   <li>transformers {@code save_pretrained} (4.x, and 5.x, which reverts conversion_mapping.py's
     *       "llava" renamings on save, {@code revert_weight_conversion}):
     *       {@code language_model.model.*}, {@code language_model.lm_head.*},
     *       {@code multi_modal_projector.linear_{1,2}.*}, {@code image_newline}, and the tower as
     *       {@code vision_tower.vision_model.*} (4.x, and 5.x re-saving a model it loaded) or
     *       {@code vision_tower.*} (5.x saving a model built from its config);
     *   <li>the in-memory names of transformers 4.52+ (some hub files, and 5.x with
     *       {@code save_original_format=False}): {@code model.language_model.*}, {@code lm_head.*},
     *       {@code model.vision_tower.*} (with or without {@code vision_model.}),
     *       {@code model.multi_modal_projector.*}, {@code model.image_newline};
     *   <li>original LLaVA / LLaVA-NeXT (and Paddle, which may say {@code llama.}/{@code qwen2.} for
     *       {@code model.}): {@code model.*}, {@code lm_head.*}, {@code model.mm_projector.{0,2}.*},
     *       {@code model.vision_tower.vision_tower.vision_model.*}, {@code model.image_newline};
     *   <li>a CLIP/SigLIP checkpoint ({@code --vision-tower}): {@code vision_model.*}; its text tower is skipped.
     * </ul>
     */
    static Optional<String> canonical(String name) {
        String n = name;
        for (String p : new String[] {"llama.", "qwen2.", "qwen."}) {
            if (n.startsWith(p)) {
                n = "model." + n.substring(p.length());
            }
        }
        if (n.startsWith("language_model.")) {
            n = n.substring("language_model.".length());
        } else if (n.startsWith("model.language_model.")) {
            n = "model." + n.substring("model.language_model.".length());
        }
        for (String p : TOWER_PREFIXES) {
            if (n.startsWith(p)) {
                return Optional.of("vision:" + n.substring(p.length()));
            }
        }
        for (String p : new String[] {"model.multi_modal_projector.", "multi_modal_projector.", "model.mm_projector."}) {
            if (n.startsWith(p)) {
                String rest = n.substring(p.length()).replace("linear_1.", "0.").replace("linear_2.", "2.");
                return Optional.of("mm:" + rest);
            }
        }
        if (n.equals("image_newline") || n.equals("model.image_newline")) {
            return Optional.of("newline");
        }
        if (n.startsWith("text_model.") || n.equals("logit_scale") || n.startsWith("text_projection")
                || n.startsWith("visual_projection") || n.endsWith("rotary_emb.inv_freq")) {
            return Optional.empty();
        }
        return Optional.of(n);
    }

    /** The GGUF name of a canonical language-model name, or empty if unknown. */
    static Optional<String> lm(String canonical) {
        switch (canonical) {
            case "model.embed_tokens.weight" -> {
                return Optional.of("token_embd.weight");
            }
            case "model.norm.weight" -> {
                return Optional.of("output_norm.weight");
            }
            case "lm_head.weight" -> {
                return Optional.of("output.weight");
            }
            default -> {
                // per-layer names below
            }
        }
        Matcher m = LM_LAYER.matcher(canonical);
        if (!m.matches()) {
            return Optional.empty();
        }
        String part = switch (m.group(2)) {
            case "input_layernorm.weight" -> "attn_norm.weight";
            case "post_attention_layernorm.weight" -> "ffn_norm.weight";
            case "self_attn.q_proj.weight" -> "attn_q.weight";
            case "self_attn.q_proj.bias" -> "attn_q.bias";
            case "self_attn.k_proj.weight" -> "attn_k.weight";
            case "self_attn.k_proj.bias" -> "attn_k.bias";
            case "self_attn.v_proj.weight" -> "attn_v.weight";
            case "self_attn.v_proj.bias" -> "attn_v.bias";
            case "self_attn.o_proj.weight" -> "attn_output.weight";
            case "mlp.gate_proj.weight" -> "ffn_gate.weight";
            case "mlp.up_proj.weight" -> "ffn_up.weight";
            case "mlp.down_proj.weight" -> "ffn_down.weight";
            default -> null;
        };
        return part == null ? Optional.empty() : Optional.of("blk." + m.group(1) + "." + part);
    }

    /**
     * The GGUF name of a canonical tower, projector or newline name; empty for tensors LLaVA does
     * not use (the post-LN, SigLIP's pooling head, position ids); {@code null} if unknown.
     */
    static Optional<String> vision(String canonical) {
        if (canonical.equals("newline")) {
            return Optional.of("v.image_newline");
        }
        if (canonical.startsWith("mm:")) {
            String rest = canonical.substring(3);
            return rest.matches("[02]\\.(weight|bias)") ? Optional.of("mm." + rest) : null;
        }
        String v = canonical.substring("vision:".length());
        if (v.startsWith("post_layernorm.") || v.startsWith("head.") || v.equals("embeddings.position_ids")) {
            return Optional.empty(); // LLaVA reads the hidden states before the post-LN; no pooling
        }
        String simple = switch (v) {
            case "embeddings.class_embedding" -> "v.class_embd";
            case "embeddings.patch_embedding.weight" -> "v.patch_embd.weight";
            case "embeddings.patch_embedding.bias" -> "v.patch_embd.bias";
            case "embeddings.position_embedding.weight" -> "v.position_embd.weight";
            case "pre_layrnorm.weight" -> "v.pre_ln.weight";
            case "pre_layrnorm.bias" -> "v.pre_ln.bias";
            default -> null;
        };
        if (simple != null) {
            return Optional.of(simple);
        }
        Matcher m = VIT_LAYER.matcher(v);
        if (!m.matches()) {
            return null;
        }
        String rest = m.group(2);
        int dot = rest.lastIndexOf('.');
        String param = rest.substring(dot + 1);
        String part = switch (rest.substring(0, dot)) {
            case "self_attn.q_proj" -> "attn_q";
            case "self_attn.k_proj" -> "attn_k";
            case "self_attn.v_proj" -> "attn_v";
            case "self_attn.out_proj" -> "attn_out";
            case "layer_norm1" -> "ln1";
            case "layer_norm2" -> "ln2";
            case "mlp.fc1" -> "ffn_up";
            case "mlp.fc2" -> "ffn_down";
            default -> null;
        };
        return part == null ? null : Optional.of("v.blk." + m.group(1) + "." + part + "." + param);
    }

    /** The block index of a {@code blk.N.} or {@code v.blk.N.} GGUF name, or -1. */
    static int block(String ggufName) {
        String s = ggufName.startsWith("v.") ? ggufName.substring(2) : ggufName;
        if (!s.startsWith("blk.")) {
            return -1;
        }
        return Integer.parseInt(s.substring(4, s.indexOf('.', 4)));
    }
}
