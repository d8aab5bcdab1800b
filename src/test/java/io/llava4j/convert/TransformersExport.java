package io.llava4j.convert;

import static io.llava4j.convert.HfTokenizerFiles.obj;

import io.llava4j.convert.CheckpointFiles.Tensor;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufTensorInfo;
import io.llava4j.gguf.GgufWriter;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.synthetic.LmSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a generated GGUF pair as a checkpoint folder exactly as transformers' {@code save_pretrained}
 * of {@code LlavaForConditionalGeneration} / {@code LlavaNextForConditionalGeneration} and of its
 * {@code LlavaProcessor} / {@code LlavaNextProcessor} writes it (file set, tensor names and shapes,
 * config keys, processor and tokenizer files), for transformers 4.57 and 5.18; pinned against the
 * real files by {@link ConvertTransformersFixturesTest}. The tokenizer is LLaVA-1.5's: the LLaMA
 * SentencePiece pieces plus {@code <image>} (32000) and {@code <pad>} (32001), embedding rows padded
 * to 32064 as llava-hf's are.
 */
final class TransformersExport {
    private TransformersExport() {}

    /** How the checkpoint was saved. */
    enum Save {
        /**
         * transformers 4.57: {@code save_pretrained} reverts {@code _checkpoint_conversion_mapping}, so
         * the legacy names ({@code language_model.model.*}, {@code vision_tower.vision_model.*}); the
         * image processor in {@code preprocessor_config.json}; {@code tokenizer.model},
         * {@code added_tokens.json} and an {@code added_tokens_decoder} in {@code tokenizer_config.json}.
         */
        V4_57("4.57.6"),
        /**
         * transformers 5.18, model built from its config: {@code revert_weight_conversion} restores the
         * legacy LM and projector names but, dropping {@code PrefixChange}, writes the tower without
         * {@code vision_model.}; the image processor nested in {@code processor_config.json}; only
         * {@code tokenizer.json} (added tokens in it alone) and a {@code TokenizersBackend} config.
         */
        V5_18("5.18.0"),
        /** transformers 5.18 with {@code save_original_format=False}: the in-memory names {@code model.*}, {@code lm_head.*}. */
        V5_18_NATIVE("5.18.0");

        final String version;

        Save(String version) {
            this.version = version;
        }

        boolean v4() {
            return this == V4_57;
        }
    }

    /** The tokens llava-hf adds to the LLaMA tokenizer. */
    static final Map<Integer, String> ADDED = Map.of(32000, "<image>", 32001, "<pad>");
    /** llava-hf's embedding rows: 32002 tokens padded to a multiple of 64. */
    static final int VOCAB_SIZE = 32064;

    /**
     * The vocabulary a correct conversion of these folders gives, as a tokenizer-only GGUF to build
     * the source language model from: the SentencePiece vocabulary of {@code spVocab}, the added tokens
     * as llama.cpp's converter reads {@code added_tokens_decoder} entries (CONTROL, score -1000, which
     * also applies to {@code <unk>}, {@code <s>}, {@code </s>}: transformers lists them as special added
     * tokens), {@code [PAD<id>]} (UNUSED, -10000) up to {@link #VOCAB_SIZE}, and {@code <pad>} as the
     * padding token.
     */
    static Path llavaHfVocab(Path spVocab, Path out) {
        GgufFile sp = GgufReader.read(spVocab);
        List<String> tokens = new ArrayList<>(sp.getStringArray("tokenizer.ggml.tokens"));
        float[] scores = java.util.Arrays.copyOf(sp.getFloatArray("tokenizer.ggml.scores"), VOCAB_SIZE);
        int[] types = java.util.Arrays.copyOf(sp.getIntArray("tokenizer.ggml.token_type"), VOCAB_SIZE);
        for (int id = tokens.size(); id < VOCAB_SIZE; id++) {
            tokens.add("[PAD" + id + "]");
            scores[id] = -10000f;
            types[id] = 5; // UNUSED
        }
        Map<Integer, String> special = new LinkedHashMap<>(Map.of(0, "<unk>", 1, "<s>", 2, "</s>"));
        special.putAll(ADDED);
        special.forEach((id, text) -> {
            tokens.set(id, text);
            scores[id] = -1000f;
            types[id] = 3; // CONTROL
        });
        new GgufWriter()
                .copyMetadata(sp, k -> k.startsWith("tokenizer.") || k.startsWith("general."))
                .putStringArray("tokenizer.ggml.tokens", tokens)
                .putF32Array("tokenizer.ggml.scores", scores)
                .putI32Array("tokenizer.ggml.token_type", types)
                .putU32("tokenizer.ggml.padding_token_id", 32001)
                .write(out);
        return out;
    }

    /**
     * Writes {@code out}.
     *
     * @param next LLaVA-NeXT ({@code clip} must be anyres) rather than LLaVA-1.5
     * @param lmFile the pair's language model, built on {@link #llavaHfVocab}
     * @param mmprojFile the pair's mmproj (a full layout: every tower block, standard names)
     * @param spVocab the SentencePiece vocabulary GGUF the tokenizer files are made from
     */
    static void write(
            Save save, boolean next, LmSpec lm, ClipSpec clip, Path lmFile, Path mmprojFile, Path spVocab, Path out)
            throws IOException {
        Files.createDirectories(out);
        Map<String, Tensor> all = new LinkedHashMap<>();
        GgufFile lmGguf = GgufReader.read(lmFile);
        for (GgufTensorInfo t : lmGguf.tensors()) {
            String n = CheckpointExport.lmName(t.name());
            Tensor x = CheckpointExport.lmTensor(lm, t, lmGguf.readTensorFloats(t.name()));
            all.put(
                    save == Save.V5_18_NATIVE
                            ? (n.startsWith("model.") ? "model.language_model." + n.substring(6) : n)
                            : "language_model." + n,
                    x);
        }
        String model = save == Save.V5_18_NATIVE ? "model." : "";
        String tower = switch (save) {
            case V4_57 -> "vision_tower.vision_model.";
            case V5_18 -> "vision_tower.";
            case V5_18_NATIVE -> "model.vision_tower.";
        };
        GgufFile mm = GgufReader.read(mmprojFile);
        for (GgufTensorInfo t : mm.tensors()) {
            Tensor x = new Tensor(CheckpointExport.torchShape(t), mm.readTensorFloats(t.name()));
            if (t.name().startsWith("mm.")) {
                all.put(
                        model + "multi_modal_projector.linear_" + (t.name().charAt(3) == '0' ? 1 : 2)
                                + t.name().substring(4),
                        x);
            } else if (t.name().equals("v.image_newline")) {
                all.put(model + "image_newline", x);
            } else {
                all.put(tower + CheckpointExport.visionName(t.name()), x);
            }
        }
        int e = clip.nEmbd();
        float[] ones = new float[e];
        java.util.Arrays.fill(ones, 1f);
        all.put(tower + "post_layernorm.weight", new Tensor(new long[] {e}, ones)); // unused by LLaVA, saved by HF
        all.put(tower + "post_layernorm.bias", new Tensor(new long[] {e}, new float[e]));
        CheckpointFiles.safetensors(out.resolve("model.safetensors"), all);

        CheckpointExport.json(out.resolve("config.json"), config(save, next, lm, clip));
        CheckpointExport.json(out.resolve("generation_config.json"), generationConfig(save));
        String processorClass = next ? "LlavaNextProcessor" : "LlavaProcessor";
        Map<String, Object> imageProcessor = obj(
                "crop_size",
                obj("height", (long) clip.imageSize(), "width", (long) clip.imageSize()),
                "do_center_crop",
                true,
                "do_convert_rgb",
                true,
                "do_normalize",
                true,
                "do_rescale",
                true,
                "do_resize",
                true,
                "image_mean",
                List.of(0.5, 0.5, 0.5),
                "image_processor_type",
                "CLIPImageProcessor",
                "image_std",
                List.of(0.5, 0.5, 0.5));
        Map<String, Object> processor = new LinkedHashMap<>();
        if (save.v4()) {
            imageProcessor.put("processor_class", processorClass); // ImageProcessingMixin.to_dict of 4.x
        } else {
            processor.put("image_processor", imageProcessor);
        }
        imageProcessor.put("resample", 3L);
        imageProcessor.put("rescale_factor", 0.00392156862745098);
        imageProcessor.put("size", obj("shortest_edge", (long) clip.imageSize()));
        processor.putAll(obj(
                "image_token",
                "<image>",
                "num_additional_image_tokens",
                0L,
                "patch_size",
                (long) clip.patchSize(),
                "processor_class",
                processorClass,
                "vision_feature_select_strategy",
                "default"));
        if (save.v4()) {
            CheckpointExport.json(out.resolve("preprocessor_config.json"), imageProcessor);
        }
        CheckpointExport.json(out.resolve("processor_config.json"), processor);
        Files.writeString(out.resolve("chat_template.jinja"), CheckpointExport.TEMPLATE);
        HfTokenizerFiles.write(out, save.v4(), GgufReader.read(spVocab), ADDED, processorClass);
    }

    /** {@code PretrainedConfig.to_json_string} of the tiny LlavaConfig / LlavaNextConfig: every key, sorted. */
    static Map<String, Object> config(Save save, boolean next, LmSpec lm, ClipSpec clip) {
        boolean v4 = save.v4();
        Map<String, Object> text = obj("attention_bias", false, "attention_dropout", 0.0);
        if (!v4) {
            text.putAll(obj("bos_token_id", 1L, "eos_token_id", 2L));
        }
        text.putAll(obj(
                "head_dim",
                (long) (lm.nEmbd() / lm.nHead()),
                "hidden_act",
                "silu",
                "hidden_size",
                (long) lm.nEmbd(),
                "initializer_range",
                0.02,
                "intermediate_size",
                (long) lm.nFf(),
                "max_position_embeddings",
                (long) lm.nCtx(),
                "mlp_bias",
                false,
                "model_type",
                "llama",
                "num_attention_heads",
                (long) lm.nHead(),
                "num_hidden_layers",
                (long) lm.nLayer(),
                "num_key_value_heads",
                (long) lm.nHeadKv()));
        if (!v4) {
            text.put("pad_token_id", null);
        }
        text.put("pretraining_tp", 1L);
        text.put("rms_norm_eps", Double.valueOf(Float.toString(lm.rmsEps())));
        double theta = Double.valueOf(Float.toString(lm.ropeFreqBase()));
        if (v4) {
            text.putAll(obj("rope_scaling", null, "rope_theta", theta));
        } else {
            text.putAll(obj(
                    "rope_parameters", obj("rope_theta", theta, "rope_type", "default"), "tie_word_embeddings", false));
        }
        text.putAll(obj("use_cache", true, "vocab_size", (long) VOCAB_SIZE));
        Map<String, Object> vision = obj(
                "attention_dropout",
                0.0,
                "hidden_act",
                "quick_gelu",
                "hidden_size",
                (long) clip.nEmbd(),
                "image_size",
                (long) clip.imageSize(),
                "initializer_factor",
                1.0,
                "initializer_range",
                0.02,
                "intermediate_size",
                (long) clip.nFf(),
                "layer_norm_eps",
                1e-05,
                "model_type",
                "clip_vision_model",
                "num_attention_heads",
                (long) clip.nHead(),
                "num_channels",
                3L,
                "num_hidden_layers",
                (long) clip.nLayer(),
                "patch_size",
                (long) clip.patchSize(),
                "projection_dim",
                512L);
        Map<String, Object> c = obj(
                "architectures",
                List.of(next ? "LlavaNextForConditionalGeneration" : "LlavaForConditionalGeneration"),
                "dtype",
                "float32");
        if (next) {
            List<Object> pins = new ArrayList<>();
            CheckpointExport.pairs(clip.gridPinpoints())
                    .forEach(p -> pins.add(List.of((long) p.get(0), (long) p.get(1))));
            c.put("image_grid_pinpoints", pins);
        }
        c.putAll(obj(
                "image_seq_length",
                576L,
                "image_token_index",
                32000L,
                "model_type",
                next ? "llava_next" : "llava",
                "multimodal_projector_bias",
                true,
                "pad_token_id",
                32001L,
                "projector_hidden_act",
                "gelu",
                "text_config",
                text));
        if (next || !v4) {
            c.put("tie_word_embeddings", false);
        }
        c.putAll(obj(
                "transformers_version",
                save.version,
                "vision_config",
                vision,
                "vision_feature_layer",
                -2L,
                "vision_feature_select_strategy",
                "default"));
        return c;
    }

    private static Map<String, Object> generationConfig(Save save) {
        Map<String, Object> g = obj("_from_model_config", true, "bos_token_id", 1L, "eos_token_id", 2L);
        if (!save.v4()) {
            g.putAll(obj("output_attentions", false, "output_hidden_states", false));
        }
        g.putAll(obj("pad_token_id", 32001L, "transformers_version", save.version));
        if (!save.v4()) {
            g.put("use_cache", true);
        }
        return g;
    }
}
