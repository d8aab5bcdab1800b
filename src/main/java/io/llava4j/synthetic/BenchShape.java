package io.llava4j.synthetic;

import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.LmSchema;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The random-weight model pairs {@code llava4j bench --shape} measures: real models' tensor shapes
 * (so every kernel does the work it does for the real model) with weights that mean nothing.
 * Language models are written F16, mmprojs F16 (CLIP-L/336, as LLaVA-1.5's {@code
 * mmproj-model-f16.gguf}); the benchmark quantizes the language model as asked.
 */
public enum BenchShape {
    /** The built-in demo pair's shapes (width 64, 2 layers, a 3-layer CLIP at 336 px): seconds per run, for tests. */
    TINY("tiny", LmSpec.tinyLlama(), ClipSpec.tiny(64)),
    /**
     * Qwen2-0.5B (as in llava-next-interleave-qwen-0.5b: width 896, 24 layers, 14 heads, 2 KV heads,
     * feed-forward 4864, tied output, 151936 tokens) with LLaVA-1.5's CLIP-L/336.
     */
    QWEN_05B(
            "qwen-0.5b",
            new LmSpec(
                    LmSchema.QWEN2,
                    "qwen2",
                    896,
                    24,
                    14,
                    2,
                    4864,
                    32768,
                    1e-6f,
                    1_000_000f,
                    GgmlType.F16,
                    GgmlType.F16,
                    true,
                    1),
            ClipSpec.clipL336(896)),
    /** LLaVA-1.5-7B: LLaMA-2-7B (Vicuna) with CLIP-L/336; about 14 GB written as F16. */
    LLAVA15_7B("llava-1.5-7b", LmSpec.llama2x7b(), ClipSpec.clipL336(4096));

    private final String id;
    private final LmSpec lm;
    private final ClipSpec clip;

    BenchShape(String id, LmSpec lm, ClipSpec clip) {
        this.id = id;
        this.lm = lm;
        this.clip = clip.withSeed(lm.seed() + 1);
    }

    /** The name on the command line, e.g. {@code qwen-0.5b}. */
    public String id() {
        return id;
    }

    public LmSpec lm() {
        return lm;
    }

    public ClipSpec clip() {
        return clip;
    }

    /**
     * The shape named {@code id}, ignoring case.
     *
     * @throws IllegalArgumentException listing the names
     */
    public static BenchShape parse(String id) {
        String key = id == null ? "" : id.strip().toLowerCase(Locale.ROOT);
        for (BenchShape s : values()) {
            if (s.id.equals(key)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown shape '" + id + "'; shapes: " + names());
    }

    /** The names, comma-separated. */
    public static String names() {
        return Arrays.stream(values()).map(BenchShape::id).collect(Collectors.joining(", "));
    }
}
