package io.llava4j.synthetic;

import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.LmSchema;
import java.util.Objects;

/**
 * The shape of a random-weight language model that {@link SyntheticModels} writes. Immutable; the
 * {@code with...} methods return modified copies.
 *
 * @param arch llama.cpp architecture, {@code "llama"} (LLaVA-1.5 / Vicuna family) or {@code "qwen2"}
 *     (q/k/v biases)
 * @param vocab the {@code models/ggml-vocab-<vocab>.gguf} of the llama.cpp tree whose
 *     {@code tokenizer.*} keys are copied; its token count is the vocabulary size
 * @param nEmbd model width
 * @param nLayer transformer blocks
 * @param nHead attention heads; {@code nEmbd / nHead} is the head size (and rope dimension count)
 * @param nHeadKv key/value heads (fewer than {@code nHead}: grouped-query attention)
 * @param nFf feed-forward width
 * @param nCtx training context length ({@code <arch>.context_length})
 * @param rmsEps RMSNorm epsilon
 * @param ropeFreqBase rope base frequency
 * @param weightType type of the block matrices: F32, F16 or BF16
 * @param embeddingType type of {@code token_embd.weight} and {@code output.weight}: F32, F16 or BF16
 * @param tiedOutput no {@code output.weight}: llama.cpp then uses {@code token_embd.weight}
 * @param seed weight seed (see {@link RandomWeights})
 */
public record LmSpec(
        String arch,
        String vocab,
        int nEmbd,
        int nLayer,
        int nHead,
        int nHeadKv,
        int nFf,
        int nCtx,
        float rmsEps,
        float ropeFreqBase,
        GgmlType weightType,
        GgmlType embeddingType,
        boolean tiedOutput,
        long seed) {

    public LmSpec {
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(vocab, "vocab");
        if (!arch.equals(LmSchema.LLAMA) && !arch.equals(LmSchema.QWEN2)) {
            throw new IllegalArgumentException("arch must be llama or qwen2, not " + arch);
        }
        if (nEmbd <= 0 || nLayer <= 0 || nHead <= 0 || nHeadKv <= 0 || nFf <= 0 || nCtx <= 0) {
            throw new IllegalArgumentException("sizes must be positive: " + nEmbd + "/" + nLayer + "/" + nHead + "/"
                    + nHeadKv + "/" + nFf + "/" + nCtx);
        }
        if (nEmbd % nHead != 0 || (nEmbd / nHead) % 2 != 0 || nHead % nHeadKv != 0) {
            throw new IllegalArgumentException("nEmbd " + nEmbd + " must split into nHead " + nHead
                    + " heads of even size, and nHead must be a multiple of nHeadKv " + nHeadKv);
        }
        for (GgmlType t : new GgmlType[] {weightType, embeddingType}) {
            if (t != GgmlType.F32 && t != GgmlType.F16 && t != GgmlType.BF16) {
                throw new IllegalArgumentException("weights are written as f32, f16 or bf16, not " + t);
            }
        }
    }

    /**
     * LLaVA-1.5 language model family (LLaMA-2 / Vicuna), tiny: width 64, 2 layers, 4 heads, F32,
     * LLaMA-2's context of 4096 (an anyres image alone takes 5 x 576 = 2880 positions).
     */
    public static LmSpec tinyLlama() {
        return new LmSpec(
                LmSchema.LLAMA,
                "llama-spm",
                64,
                2,
                4,
                4,
                128,
                4096,
                1e-5f,
                10000f,
                GgmlType.F32,
                GgmlType.F32,
                false,
                1);
    }

    /**
     * Qwen2 family (LLaVA-NeXT-Interleave-Qwen), tiny: width 64, 2 layers, 4 heads and 2 KV heads,
     * F16 embedding and output (151936 tokens each, to keep the file small), F32 blocks.
     *
     * <p>The output is not tied to the embedding: with random weights a tied model's logits are
     * dominated by each token's similarity to itself, so greedy decoding repeats the last prompt
     * token forever. {@link #withTiedOutput} makes a tied one (llama.cpp falls back to
     * {@code token_embd.weight}) for tests of that path.
     */
    public static LmSpec tinyQwen2() {
        return new LmSpec(
                LmSchema.QWEN2,
                "qwen2",
                64,
                2,
                4,
                2,
                128,
                32768,
                1e-6f,
                1_000_000f,
                GgmlType.F32,
                GgmlType.F16,
                false,
                1);
    }

    /** The real LLaMA-2-7B / Vicuna-7B shape (as in LLaVA-1.5-7B), all F16: about 13.5 GB. */
    public static LmSpec llama2x7b() {
        return new LmSpec(
                LmSchema.LLAMA,
                "llama-spm",
                4096,
                32,
                32,
                32,
                11008,
                4096,
                1e-5f,
                10000f,
                GgmlType.F16,
                GgmlType.F16,
                false,
                1);
    }

    public LmSpec withSeed(long s) {
        return new LmSpec(
                arch,
                vocab,
                nEmbd,
                nLayer,
                nHead,
                nHeadKv,
                nFf,
                nCtx,
                rmsEps,
                ropeFreqBase,
                weightType,
                embeddingType,
                tiedOutput,
                s);
    }

    /** Another shape (width, blocks, heads, KV heads, feed-forward width). */
    public LmSpec withShape(int embd, int layers, int heads, int kvHeads, int ff) {
        return new LmSpec(
                arch,
                vocab,
                embd,
                layers,
                heads,
                kvHeads,
                ff,
                nCtx,
                rmsEps,
                ropeFreqBase,
                weightType,
                embeddingType,
                tiedOutput,
                seed);
    }

    /** Other types for the block matrices, and for the token embedding and output. */
    public LmSpec withTypes(GgmlType weights, GgmlType embedding) {
        return new LmSpec(
                arch,
                vocab,
                nEmbd,
                nLayer,
                nHead,
                nHeadKv,
                nFf,
                nCtx,
                rmsEps,
                ropeFreqBase,
                weights,
                embedding,
                tiedOutput,
                seed);
    }

    public LmSpec withTiedOutput(boolean tied) {
        return new LmSpec(
                arch,
                vocab,
                nEmbd,
                nLayer,
                nHead,
                nHeadKv,
                nFf,
                nCtx,
                rmsEps,
                ropeFreqBase,
                weightType,
                embeddingType,
                tied,
                seed);
    }

    public LmSpec withContext(int ctx) {
        return new LmSpec(
                arch,
                vocab,
                nEmbd,
                nLayer,
                nHead,
                nHeadKv,
                nFf,
                ctx,
                rmsEps,
                ropeFreqBase,
                weightType,
                embeddingType,
                tiedOutput,
                seed);
    }

    /** Head size ({@code nEmbd / nHead}), also the rope dimension count. */
    public int headDim() {
        return nEmbd / nHead;
    }

    /** Width of the K and V projections ({@code nHeadKv * headDim}). */
    public int nEmbdKv() {
        return nHeadKv * headDim();
    }
}
