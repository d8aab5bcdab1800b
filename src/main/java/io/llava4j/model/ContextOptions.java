package io.llava4j.model;

import io.llava4j.Llava4jException;

/**
 * Settings of an {@link InferenceContext}.
 *
 * @param contextLength tokens the KV cache holds (0 = the model's training context, capped at 4096)
 * @param batchSize tokens (or image embeddings) per {@code llama_decode} call; longer inputs are split
 * @param microBatchSize physical batch size inside llama.cpp (at most {@code batchSize})
 * @param threads threads for generation (one token at a time)
 * @param batchThreads threads for prompt and image prefill
 * @param flashAttention use flash attention where the backend supports it ({@code null} = llama.cpp decides)
 */
public record ContextOptions(
        int contextLength, int batchSize, int microBatchSize, int threads, int batchThreads, Boolean flashAttention) {

    /** The default context length when the model's own is larger (memory grows with it). */
    public static final int DEFAULT_MAX_CONTEXT = 4096;

    public ContextOptions {
        check(contextLength >= 0, "contextLength", contextLength);
        check(batchSize >= 1, "batchSize", batchSize);
        check(microBatchSize >= 1 && microBatchSize <= batchSize, "microBatchSize", microBatchSize);
        check(threads >= 1, "threads", threads);
        check(batchThreads >= 1, "batchThreads", batchThreads);
    }

    private static void check(boolean ok, String name, int value) {
        if (!ok) {
            throw new Llava4jException(Llava4jException.Code.INVALID_ARGUMENT, name + " is out of range: " + value);
        }
    }

    /** Model context (capped), batch 512, all available processors. */
    public static ContextOptions defaults() {
        int cpus = Runtime.getRuntime().availableProcessors();
        return new ContextOptions(0, 512, 512, cpus, cpus, null);
    }

    public ContextOptions withContextLength(int n) {
        return new ContextOptions(n, batchSize, microBatchSize, threads, batchThreads, flashAttention);
    }

    public ContextOptions withBatchSize(int n) {
        return new ContextOptions(contextLength, n, Math.min(microBatchSize, n), threads, batchThreads, flashAttention);
    }

    public ContextOptions withThreads(int n) {
        return new ContextOptions(contextLength, batchSize, microBatchSize, n, n, flashAttention);
    }

    public ContextOptions withFlashAttention(Boolean on) {
        return new ContextOptions(contextLength, batchSize, microBatchSize, threads, batchThreads, on);
    }
}
