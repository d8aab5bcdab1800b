package io.llava4j.model;

import io.llava4j.Llava4jException;
import io.llava4j.gguf.GgmlType;

/**
 * Settings of an {@link InferenceContext}.
 *
 * @param contextLength tokens the KV cache holds (0 = the model's training context, capped at 4096)
 * @param batchSize tokens (or image embeddings) per {@code llama_decode} call; longer inputs are split
 * @param microBatchSize physical batch size inside llama.cpp (at most {@code batchSize})
 * @param threads threads for generation (one token at a time)
 * @param batchThreads threads for prompt and image prefill
 * @param flashAttention use flash attention where the backend supports it ({@code null} = llama.cpp decides)
 * @param kvType element type of the KV cache: F16 (llama.cpp's default), F32 (exact to f32, twice
 *     the memory; evaluation order then changes logits only by f32 rounding), or a quantized type
 *     (Q8_0, Q4_0: less memory, needs flash attention for the V cache)
 */
public record ContextOptions(
        int contextLength,
        int batchSize,
        int microBatchSize,
        int threads,
        int batchThreads,
        Boolean flashAttention,
        GgmlType kvType) {

    /** KV cache types llama.cpp accepts. */
    private static final java.util.Set<GgmlType> KV_TYPES =
            java.util.EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0);

    /** The default context length when the model's own is larger (memory grows with it). */
    public static final int DEFAULT_MAX_CONTEXT = 4096;

    public ContextOptions {
        check(contextLength >= 0, "contextLength", contextLength);
        check(batchSize >= 1, "batchSize", batchSize);
        check(microBatchSize >= 1 && microBatchSize <= batchSize, "microBatchSize", microBatchSize);
        check(threads >= 1, "threads", threads);
        check(batchThreads >= 1, "batchThreads", batchThreads);
        if (kvType == null || !KV_TYPES.contains(kvType)) {
            throw new Llava4jException(
                    Llava4jException.Code.INVALID_ARGUMENT,
                    "kvType " + kvType + " is not a KV cache type (F32, F16, BF16, Q8_0, Q4_0)");
        }
    }

    private static void check(boolean ok, String name, int value) {
        if (!ok) {
            throw new Llava4jException(Llava4jException.Code.INVALID_ARGUMENT, name + " is out of range: " + value);
        }
    }

    /** Model context (capped), batch 512, all available processors. */
    public static ContextOptions defaults() {
        int cpus = Runtime.getRuntime().availableProcessors();
        return new ContextOptions(0, 512, 512, cpus, cpus, null, GgmlType.F16);
    }

    public ContextOptions withContextLength(int n) {
        return new ContextOptions(n, batchSize, microBatchSize, threads, batchThreads, flashAttention, kvType);
    }

    public ContextOptions withBatchSize(int n) {
        return new ContextOptions(
                contextLength, n, Math.min(microBatchSize, n), threads, batchThreads, flashAttention, kvType);
    }

    public ContextOptions withThreads(int n) {
        return new ContextOptions(contextLength, batchSize, microBatchSize, n, n, flashAttention, kvType);
    }

    public ContextOptions withFlashAttention(Boolean on) {
        return new ContextOptions(contextLength, batchSize, microBatchSize, threads, batchThreads, on, kvType);
    }

    public ContextOptions withKvType(GgmlType type) {
        return new ContextOptions(
                contextLength, batchSize, microBatchSize, threads, batchThreads, flashAttention, type);
    }
}
