package io.llava4j.convert;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.llava4j.convert.CheckpointFiles.Tensor;
import io.llava4j.convert.llava.SourceLayout;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufTensorInfo;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.synthetic.LmSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The inverse of the converter, for tests: writes a checkpoint folder of a given layout from a
 * known GGUF pair (tensor names mapped back, ggml dims reversed to PyTorch order, LLaMA q/k rows
 * un-permuted, Paddle Linear weights transposed to {@code [in, out]}), with its config, image
 * processor config and tokenizer files.
 */
final class CheckpointExport {
    private CheckpointExport() {}

    /** The SigLIP tower lmms-lab's LLaVA-NeXT-Interleave checkpoints name in {@code mm_vision_tower}. */
    static final String SIGLIP_TOWER = "google/siglip-so400m-patch14-384";

    /** The chat template put into checkpoints that carry one. */
    static final String TEMPLATE = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}";

    /**
     * Writes {@code out} (and, for {@link SourceLayout#ORIGINAL}, the CLIP checkpoint in {@code tower}).
     * For {@link SourceLayout#NEXT} and {@link SourceLayout#PADDLE}, {@code tower} gets only the tower's config.json.
     * A SigLIP {@code clip} ({@link ClipSpec#siglip()}) is written as lmms-lab's LLaVA-NeXT-Interleave
     * checkpoints hold it: the blocks of the mmproj (the tower less its last layer, which
     * LLaVA-NeXT's {@code SigLipVisionTower} deletes), the patch-embedding bias, the unused
     * post-layernorm, no pre-layernorm or class embedding.
     */
    static void write(
            SourceLayout layout,
            LmSpec lm,
            ClipSpec clip,
            Path lmFile,
            Path mmprojFile,
            Path vocabFile,
            Path out,
            Path tower)
            throws IOException {
        Files.createDirectories(out);
        Files.createDirectories(tower);
        GgufFile lmGguf = GgufReader.read(lmFile);
        GgufFile mm = GgufReader.read(mmprojFile);
        Map<String, Tensor> lmTensors = new LinkedHashMap<>();
        for (GgufTensorInfo t : lmGguf.tensors()) {
            lmTensors.put(lmName(t.name()), lmTensor(lm, t, lmGguf.readTensorFloats(t.name())));
        }
        Map<String, Tensor> vision = new LinkedHashMap<>();
        Map<String, Tensor> projector = new LinkedHashMap<>();
        Tensor newline = null;
        for (GgufTensorInfo t : mm.tensors()) {
            Tensor x = new Tensor(torchShape(t), mm.readTensorFloats(t.name()));
            if (t.name().startsWith("mm.")) {
                projector.put(t.name().substring(3), x);
            } else if (t.name().equals("v.image_newline")) {
                newline = x;
            } else {
                vision.put(visionName(t.name()), x);
            }
        }
        long e = clip.nEmbd();
        // tensors real checkpoints carry that LLaVA does not use
        vision.put("post_layernorm.weight", new Tensor(new long[] {e}, new float[(int) e]));
        vision.put("post_layernorm.bias", new Tensor(new long[] {e}, new float[(int) e]));

        Map<String, Tensor> all = new LinkedHashMap<>();
        boolean hfNew = layout == SourceLayout.HF_LLAVA_NEXT;
        boolean paddle = layout == SourceLayout.PADDLE;
        lmTensors.forEach((n, t) -> {
            String name = switch (layout) {
                case HF_LLAVA -> "language_model." + n;
                case HF_LLAVA_NEXT -> n.startsWith("model.") ? "model.language_model." + n.substring(6) : n;
                case PADDLE -> n.startsWith("model.") ? "llama." + n.substring(6) : n;
                default -> n;
            };
            all.put(name, paddle && t.shape().length == 2 && !n.contains("embed_tokens") ? transpose(t) : t);
        });
        projector.forEach((n, t) -> {
            String idx = n.substring(0, 1);
            String param = n.substring(2);
            String name = switch (layout) {
                case HF_LLAVA -> "multi_modal_projector.linear_" + (idx.equals("0") ? 1 : 2) + "." + param;
                case HF_LLAVA_NEXT -> "model.multi_modal_projector.linear_" + (idx.equals("0") ? 1 : 2) + "." + param;
                case PADDLE -> "llama.mm_projector." + n;
                default -> "model.mm_projector." + n;
            };
            all.put(name, paddle && t.shape().length == 2 ? transpose(t) : t);
        });
        if (newline != null) {
            all.put(
                    switch (layout) {
                        case HF_LLAVA -> "image_newline";
                        case PADDLE -> "llama.image_newline";
                        default -> "model.image_newline";
                    },
                    newline);
        }
        Map<String, Tensor> towerWeights = new LinkedHashMap<>();
        vision.forEach((n, t) -> {
            switch (layout) {
                case HF_LLAVA -> all.put("vision_tower.vision_model." + n, t);
                case HF_LLAVA_NEXT -> all.put("model.vision_tower.vision_model." + n, t);
                case ORIGINAL -> towerWeights.put("vision_model." + n, t);
                case NEXT -> all.put("model.vision_tower.vision_tower.vision_model." + n, t);
                case PADDLE ->
                    all.put(
                            "llama.vision_tower.vision_tower.vision_model." + n,
                            t.shape().length == 2 && !n.contains("position_embedding") ? transpose(t) : t);
            }
        });

        switch (layout) {
            case HF_LLAVA -> CheckpointFiles.shardedSafetensors(out, all, 3);
            case HF_LLAVA_NEXT, NEXT -> CheckpointFiles.safetensors(out.resolve("model.safetensors"), all);
            case ORIGINAL -> CheckpointFiles.torchZip(out.resolve("pytorch_model.bin"), all);
            case PADDLE -> CheckpointFiles.pdparams(out.resolve("model_state.pdparams"), all);
        }
        Map<String, Object> visionConfig = visionConfig(clip);
        Map<String, Object> text = textConfig(lm, lmGguf);
        Map<String, Object> config = new LinkedHashMap<>();
        if (layout == SourceLayout.HF_LLAVA || hfNew) {
            config.put(
                    "architectures",
                    List.of(hfNew ? "LlavaNextForConditionalGeneration" : "LlavaForConditionalGeneration"));
            config.put("model_type", hfNew ? "llava_next" : "llava");
            config.put("projector_hidden_act", "gelu");
            config.put("vision_feature_layer", -2);
            config.put("vision_feature_select_strategy", "default");
            if (hfNew) {
                config.put("image_grid_pinpoints", pairs(clip.gridPinpoints()));
            }
            config.put("text_config", text);
            config.put("vision_config", visionConfig);
        } else {
            String arch = lm.arch().equals("qwen2") ? "LlavaQwenForCausalLM" : "LlavaLlamaForCausalLM";
            config.put("architectures", List.of(arch));
            config.put("model_type", lm.arch().equals("qwen2") ? "llava_qwen" : "llava_llama");
            config.putAll(text);
            config.put("mm_vision_tower", clip.siglip() ? SIGLIP_TOWER : "openai/clip-vit-large-patch14-336");
            config.put("mm_hidden_size", clip.nEmbd());
            config.put("mm_projector_type", "mlp2x_gelu");
            config.put("mm_vision_select_layer", -2);
            config.put("mm_vision_select_feature", "patch");
            config.put("image_aspect_ratio", clip.anyres() ? "anyres" : "pad");
            config.put("mm_patch_merge_type", clip.anyres() ? "spatial_unpad" : "flat");
            config.put("image_grid_pinpoints", clip.anyres() ? pairs(clip.gridPinpoints()) : null);
            config.put("tokenizer_model_max_length", 2048);
        }
        int bos = (int) lmGguf.getLong("tokenizer.ggml.bos_token_id");
        int eos = (int) lmGguf.getLong("tokenizer.ggml.eos_token_id");
        config.put("bos_token_id", bos);
        config.put("eos_token_id", eos);
        json(out.resolve("config.json"), config);

        Map<String, Object> pre = new LinkedHashMap<>();
        pre.put("image_mean", floats(clip.imageMean()));
        pre.put("image_std", floats(clip.imageStd()));
        pre.put("crop_size", Map.of("height", clip.imageSize(), "width", clip.imageSize()));
        switch (layout) {
            case HF_LLAVA, HF_LLAVA_NEXT -> json(out.resolve("preprocessor_config.json"), pre);
            case PADDLE -> json(out.resolve("processor").resolve("eval").resolve("preprocessor_config.json"), pre);
            case ORIGINAL -> json(tower.resolve("preprocessor_config.json"), pre);
            default -> {} // NEXT: the tower's defaults (CLIP's or SigLIP's mean/std)
        }
        Map<String, Object> towerConfig = new LinkedHashMap<>();
        towerConfig.put("architectures", List.of(clip.siglip() ? "SiglipModel" : "CLIPModel"));
        towerConfig.put("model_type", clip.siglip() ? "siglip" : "clip");
        if (!clip.siglip()) {
            towerConfig.put("projection_dim", 768);
        }
        towerConfig.put("vision_config", visionConfig);
        json(tower.resolve("config.json"), towerConfig);
        if (layout == SourceLayout.ORIGINAL) {
            towerWeights.put(
                    "text_model.embeddings.token_embedding.weight", new Tensor(new long[] {4, 8}, new float[32]));
            towerWeights.put("logit_scale", new Tensor(new long[0], new float[] {4.6f}));
            CheckpointFiles.safetensors(tower.resolve("model.safetensors"), towerWeights);
        }

        GgufFile vocab = GgufReader.read(vocabFile);
        Map<String, Object> tc = new LinkedHashMap<>();
        if (lm.arch().equals("qwen2")) {
            VocabFiles.qwen2TokenizerJson(vocab, out.resolve("tokenizer.json"));
            tc.put("add_prefix_space", false);
            tc.put("bos_token", null);
            tc.put("eos_token", "<|endoftext|>");
            tc.put("pad_token", "<|endoftext|>");
        } else {
            VocabFiles.sentencePiece(vocab, out.resolve(paddle ? "sentencepiece.bpe.model" : "tokenizer.model"));
            tc.put("add_bos_token", true);
            tc.put("add_eos_token", false);
            tc.put("bos_token", "<s>");
            tc.put("eos_token", "</s>");
            tc.put("unk_token", "<unk>");
        }
        tc.put("model_max_length", 2048);
        json(out.resolve("tokenizer_config.json"), tc);
        if (paddle || layout == SourceLayout.HF_LLAVA) {
            json(out.resolve("chat_template.json"), Map.of("chat_template", TEMPLATE));
        }
    }

    /**
     * The tower's config as transformers saves it, defaults left out: for SigLIP the
     * {@code vision_config} of google/siglip-so400m-patch14-384's config.json (no
     * {@code hidden_act}, {@code layer_norm_eps} or {@code projection_dim}: SiglipVisionConfig's
     * defaults {@code gelu_pytorch_tanh} and 1e-6 apply). {@code num_hidden_layers} is the tower's
     * own depth, one more than the blocks an lmms-lab checkpoint stores.
     */
    private static Map<String, Object> visionConfig(ClipSpec clip) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("model_type", clip.siglip() ? "siglip_vision_model" : "clip_vision_model");
        v.put("hidden_size", clip.nEmbd());
        v.put("intermediate_size", clip.nFf());
        v.put("num_attention_heads", clip.nHead());
        v.put("num_hidden_layers", clip.nLayer());
        v.put("image_size", clip.imageSize());
        v.put("patch_size", clip.patchSize());
        if (!clip.siglip()) {
            v.put("projection_dim", 768);
        }
        return v;
    }

    private static Map<String, Object> textConfig(LmSpec lm, GgufFile gguf) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("model_type", lm.arch().equals("qwen2") ? "qwen2" : "llama");
        t.put("hidden_size", lm.nEmbd());
        t.put("num_hidden_layers", lm.nLayer());
        t.put("num_attention_heads", lm.nHead());
        t.put("num_key_value_heads", lm.nHeadKv());
        t.put("intermediate_size", lm.nFf());
        t.put("max_position_embeddings", lm.nCtx());
        t.put("rms_norm_eps", (double) lm.rmsEps());
        t.put("rope_theta", (double) lm.ropeFreqBase());
        t.put("vocab_size", gguf.getStringArray("tokenizer.ggml.tokens").size());
        t.put("tie_word_embeddings", lm.tiedOutput());
        return t;
    }

    static Tensor lmTensor(LmSpec lm, GgufTensorInfo t, float[] data) {
        long[] shape = torchShape(t);
        if (lm.arch().equals("llama")
                && (t.name().endsWith("attn_q.weight") || t.name().endsWith("attn_k.weight"))) {
            int heads = t.name().endsWith("attn_q.weight") ? lm.nHead() : lm.nHeadKv();
            data = unpermute(data, (int) shape[0], (int) shape[1], heads);
        }
        return new Tensor(shape, data);
    }

    /** The inverse of {@code LlamaModel.permute}: interleaved rope pairs back to HF's halves. */
    static float[] unpermute(float[] v, int rows, int cols, int nHead) {
        int headDim = rows / nHead;
        int half = headDim / 2;
        float[] out = new float[v.length];
        for (int h = 0; h < nHead; h++) {
            for (int two = 0; two < 2; two++) {
                for (int i = 0; i < half; i++) {
                    System.arraycopy(
                            v, (h * headDim + 2 * i + two) * cols, out, (h * headDim + two * half + i) * cols, cols);
                }
            }
        }
        return out;
    }

    static Tensor transpose(Tensor t) {
        int rows = (int) t.shape()[0];
        int cols = (int) t.shape()[1];
        float[] out = new float[t.data().length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = t.data()[r * cols + c];
            }
        }
        return new Tensor(new long[] {cols, rows}, out);
    }

    static long[] torchShape(GgufTensorInfo t) {
        long[] d = t.dims();
        long[] s = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            s[i] = d[d.length - 1 - i];
        }
        return s;
    }

    static String lmName(String gguf) {
        switch (gguf) {
            case "token_embd.weight" -> {
                return "model.embed_tokens.weight";
            }
            case "output_norm.weight" -> {
                return "model.norm.weight";
            }
            case "output.weight" -> {
                return "lm_head.weight";
            }
            default -> {
                // blocks below
            }
        }
        String[] p = gguf.split("\\.", 3);
        String part = switch (p[2]) {
            case "attn_norm.weight" -> "input_layernorm.weight";
            case "ffn_norm.weight" -> "post_attention_layernorm.weight";
            case "attn_output.weight" -> "self_attn.o_proj.weight";
            case "ffn_gate.weight" -> "mlp.gate_proj.weight";
            case "ffn_up.weight" -> "mlp.up_proj.weight";
            case "ffn_down.weight" -> "mlp.down_proj.weight";
            default -> "self_attn." + p[2].replace("attn_", "").replace(".", "_proj.");
        };
        return "model.layers." + p[1] + "." + part;
    }

    static String visionName(String gguf) {
        switch (gguf) {
            case "v.class_embd" -> {
                return "embeddings.class_embedding";
            }
            case "v.patch_embd.weight" -> {
                return "embeddings.patch_embedding.weight";
            }
            case "v.patch_embd.bias" -> {
                return "embeddings.patch_embedding.bias";
            }
            case "v.position_embd.weight" -> {
                return "embeddings.position_embedding.weight";
            }
            case "v.pre_ln.weight" -> {
                return "pre_layrnorm.weight";
            }
            case "v.pre_ln.bias" -> {
                return "pre_layrnorm.bias";
            }
            default -> {
                // blocks below
            }
        }
        String[] p = gguf.split("\\.", 4);
        String rest = p[3];
        int dot = rest.lastIndexOf('.');
        String part = switch (rest.substring(0, dot)) {
            case "attn_q" -> "self_attn.q_proj";
            case "attn_k" -> "self_attn.k_proj";
            case "attn_v" -> "self_attn.v_proj";
            case "attn_out" -> "self_attn.out_proj";
            case "ln1" -> "layer_norm1";
            case "ln2" -> "layer_norm2";
            case "ffn_up" -> "mlp.fc1";
            case "ffn_down" -> "mlp.fc2";
            default -> throw new IllegalArgumentException(gguf);
        };
        return "encoder.layers." + p[2] + "." + part + rest.substring(dot);
    }

    static List<List<Integer>> pairs(int[] flat) {
        List<List<Integer>> out = new java.util.ArrayList<>();
        for (int i = 0; i < flat.length; i += 2) {
            out.add(List.of(flat[i], flat[i + 1]));
        }
        return out;
    }

    static List<Double> floats(float[] v) {
        List<Double> out = new java.util.ArrayList<>();
        for (float f : v) {
            out.add(Double.valueOf(Float.toString(f)));
        }
        return out;
    }

    static void json(Path file, Object value) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (OutputStream os = Files.newOutputStream(file);
                    JsonGenerator g = new JsonFactory().createGenerator(os)) {
                write(g, value);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof List<?> l) {
            g.writeStartArray();
            for (Object o : l) {
                write(g, o);
            }
            g.writeEndArray();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v instanceof java.math.BigInteger b) {
            g.writeNumber(b);
        } else if (v instanceof Number n) {
            g.writeNumber(n.longValue());
        } else {
            throw new IllegalArgumentException(String.valueOf(v));
        }
    }
}
