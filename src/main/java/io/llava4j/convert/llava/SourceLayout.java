package io.llava4j.convert.llava;

import io.llava4j.convert.CheckpointException;
import io.llava4j.convert.checkpoint.Checkpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The checkpoint layouts {@code llava4j convert} reads, detected from {@code config.json} and the file names. */
public enum SourceLayout {
    /** {@code llava-hf/llava-1.5-*-hf}: transformers {@code LlavaForConditionalGeneration}. */
    HF_LLAVA("transformers LlavaForConditionalGeneration (llava-hf/llava-1.5-*-hf)"),
    /** {@code llava-hf/llava-v1.6-*-hf}: transformers {@code LlavaNextForConditionalGeneration}. */
    HF_LLAVA_NEXT("transformers LlavaNextForConditionalGeneration (llava-hf/llava-v1.6-*-hf)"),
    /** {@code liuhaotian/llava-v1.5-*}, {@code liuhaotian/llava-v1.6-*}: the original LLaVA code's checkpoints. */
    ORIGINAL("original LLaVA (liuhaotian/llava-v1.5-*, llava-v1.6-*)"),
    /** {@code lmms-lab/*}: LLaVA-NeXT's checkpoints (e.g. Qwen2 + SigLIP interleave models). */
    NEXT("LLaVA-NeXT (lmms-lab/llava-next-*, llama3-llava-next-*)"),
    /** PaddleNLP/PaddleMIX exports: {@code model_state.pdparams}, Linear weights stored [in, out]. */
    PADDLE("PaddleNLP/PaddleMIX export (model_state.pdparams)");

    private final String description;

    SourceLayout(String description) {
        this.description = description;
    }

    /** A human-readable name with the example repositories. */
    public String description() {
        return description;
    }

    /**
     * Detects the layout of {@code dir} from its config and weight files.
     *
     * @throws CheckpointException if it is none of the supported layouts
     */
    static SourceLayout detect(Path dir, ConfigMap config) {
        String arch = architecture(config);
        if (Files.isRegularFile(dir.resolve("model_state.pdparams"))
                || Files.isRegularFile(dir.resolve("model_state.pdparams.index.json"))) {
            return PADDLE;
        }
        if (arch.equals("LlavaForConditionalGeneration")) {
            return HF_LLAVA;
        }
        if (arch.equals("LlavaNextForConditionalGeneration")) {
            return HF_LLAVA_NEXT;
        }
        if (config.has("mm_vision_tower") || arch.startsWith("Llava")) {
            if (!Checkpoints.hasWeights(dir)) {
                throw new CheckpointException(
                        dir, "config.json describes a LLaVA model, but there are no weight files");
            }
            String lower = (arch + " " + config.string("model_type").orElse("")).toLowerCase(Locale.ROOT);
            return lower.contains("qwen") ? NEXT : ORIGINAL;
        }
        throw new CheckpointException(
                dir.resolve("config.json"),
                "not a LLaVA checkpoint this converter knows: architectures "
                        + (arch.isEmpty() ? "missing" : arch)
                        + " and no mm_vision_tower; accepted: LlavaForConditionalGeneration,"
                        + " LlavaNextForConditionalGeneration, LlavaLlamaForCausalLM, LlavaMistralForCausalLM,"
                        + " LlavaQwenForCausalLM, or a Paddle model_state.pdparams");
    }

    static String architecture(ConfigMap config) {
        return config.raw("architectures") instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof String s
                ? s
                : "";
    }
}
