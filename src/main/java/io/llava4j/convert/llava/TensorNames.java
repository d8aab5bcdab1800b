package io.llava4j.convert.llava;

import io.llava4j.gguf.LmSchema;
import io.llava4j.gguf.MmprojSchema;
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
 * llama.cpp loads, from {@link LmSchema} (the tensor map of gguf-py, {@code MODEL_TENSOR.*} for
 * LLAMA/QWEN2) and {@link MmprojSchema} (clip-impl.h's {@code TN_*}) in its full layout
 * ({@code fc1} is {@code ffn_up}, as in files of convert_hf_to_gguf, not the legacy converter's
 * swapped names).
 */
final class TensorNames {
    private TensorNames() {}

    /** The converter writes the mmproj in convert_hf_to_gguf's layout. */
    private static final MmprojSchema.Layout LAYOUT = MmprojSchema.Layout.FULL;

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
    private static final String[] TOWER_PREFIXES = {
        "model.vision_tower.vision_tower.vision_model.",
        "model.vision_tower.vision_model.",
        "vision_tower.vision_model.",
        "vision_model.",
        "model.vision_tower.",
        "vision_tower."
    };

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
        for (String p :
                new String[] {"model.multi_modal_projector.", "multi_modal_projector.", "model.mm_projector."}) {
            if (n.startsWith(p)) {
                String rest = n.substring(p.length()).replace("linear_1.", "0.").replace("linear_2.", "2.");
                return Optional.of("mm:" + rest);
            }
        }
        if (n.equals("image_newline") || n.equals("model.image_newline")) {
            return Optional.of("newline");
        }
        if (n.startsWith("text_model.")
                || n.equals("logit_scale")
                || n.startsWith("text_projection")
                || n.startsWith("visual_projection")
                || n.endsWith("rotary_emb.inv_freq")) {
            return Optional.empty();
        }
        return Optional.of(n);
    }

    /** The GGUF name of a canonical language-model name, or empty if unknown. */
    static Optional<String> lm(String canonical) {
        switch (canonical) {
            case "model.embed_tokens.weight" -> {
                return Optional.of(LmSchema.TOKEN_EMBD);
            }
            case "model.norm.weight" -> {
                return Optional.of(LmSchema.OUTPUT_NORM);
            }
            case "lm_head.weight" -> {
                return Optional.of(LmSchema.OUTPUT);
            }
            default -> {
                // per-layer names below
            }
        }
        Matcher m = LM_LAYER.matcher(canonical);
        if (!m.matches()) {
            return Optional.empty();
        }
        int block = Integer.parseInt(m.group(1));
        String name = switch (m.group(2)) {
            case "input_layernorm.weight" -> LmSchema.Block.ATTN_NORM.weight(block);
            case "post_attention_layernorm.weight" -> LmSchema.Block.FFN_NORM.weight(block);
            case "self_attn.q_proj.weight" -> LmSchema.Block.ATTN_Q.weight(block);
            case "self_attn.q_proj.bias" -> LmSchema.Block.ATTN_Q.bias(block);
            case "self_attn.k_proj.weight" -> LmSchema.Block.ATTN_K.weight(block);
            case "self_attn.k_proj.bias" -> LmSchema.Block.ATTN_K.bias(block);
            case "self_attn.v_proj.weight" -> LmSchema.Block.ATTN_V.weight(block);
            case "self_attn.v_proj.bias" -> LmSchema.Block.ATTN_V.bias(block);
            case "self_attn.o_proj.weight" -> LmSchema.Block.ATTN_OUTPUT.weight(block);
            case "mlp.gate_proj.weight" -> LmSchema.Block.FFN_GATE.weight(block);
            case "mlp.up_proj.weight" -> LmSchema.Block.FFN_UP.weight(block);
            case "mlp.down_proj.weight" -> LmSchema.Block.FFN_DOWN.weight(block);
            default -> null;
        };
        return Optional.ofNullable(name);
    }

    /**
     * The GGUF name of a canonical tower, projector or newline name; empty for tensors LLaVA does
     * not use (the post-LN, SigLIP's pooling head, position ids); {@code null} if unknown.
     */
    static Optional<String> vision(String canonical) {
        if (canonical.equals("newline")) {
            return Optional.of(LAYOUT.imageNewline());
        }
        if (canonical.startsWith("mm:")) {
            String rest = canonical.substring(3);
            return rest.matches("[02]\\.(weight|bias)")
                    ? Optional.of(MmprojSchema.projector(rest.charAt(0) - '0', rest.substring(2)))
                    : null;
        }
        String v = canonical.substring("vision:".length());
        if (v.startsWith("post_layernorm.") || v.startsWith("head.") || v.equals("embeddings.position_ids")) {
            return Optional.empty(); // LLaVA reads the hidden states before the post-LN; no pooling
        }
        String simple = switch (v) {
            case "embeddings.class_embedding" -> MmprojSchema.CLASS_EMBD;
            case "embeddings.patch_embedding.weight" -> MmprojSchema.PATCH_EMBD;
            case "embeddings.patch_embedding.bias" -> MmprojSchema.PATCH_BIAS;
            case "embeddings.position_embedding.weight" -> MmprojSchema.POSITION_EMBD;
            case "pre_layrnorm.weight" -> MmprojSchema.PRE_LN_WEIGHT;
            case "pre_layrnorm.bias" -> MmprojSchema.PRE_LN_BIAS;
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
        MmprojSchema.Block part = switch (rest.substring(0, dot)) {
            case "self_attn.q_proj" -> MmprojSchema.Block.ATTN_Q;
            case "self_attn.k_proj" -> MmprojSchema.Block.ATTN_K;
            case "self_attn.v_proj" -> MmprojSchema.Block.ATTN_V;
            case "self_attn.out_proj" -> MmprojSchema.Block.ATTN_OUT;
            case "layer_norm1" -> MmprojSchema.Block.LN1;
            case "layer_norm2" -> MmprojSchema.Block.LN2;
            case "mlp.fc1" -> LAYOUT.fc1();
            case "mlp.fc2" -> LAYOUT.fc2();
            default -> null;
        };
        return part == null ? null : Optional.of(part.name(Integer.parseInt(m.group(1)), param));
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
