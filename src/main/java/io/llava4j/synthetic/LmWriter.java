package io.llava4j.synthetic;

import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufWriter;
import io.llava4j.gguf.LlmKeys;
import io.llava4j.gguf.LmSchema;
import java.nio.file.Path;

/**
 * Writes a random-weight {@code llama} or {@code qwen2} language model that the pinned llama.cpp
 * loads, in {@link LmSchema}'s layout (the converter's): its header, then the {@code tokenizer.*}
 * keys of a vocabulary GGUF, then the tensors.
 */
final class LmWriter {
    /** Standard deviation of biases and of the noise on norm weights. */
    static final float STD = 0.02f;
    /** Standard deviation of token, position and class embeddings (see {@link SyntheticModels} for why 1). */
    static final float EMBEDDING_STD = 1f;

    private LmWriter() {}

    static void write(LmSpec s, Path vocabFile, Path out) {
        GgufFile vocab = GgufReader.read(vocabFile);
        long nVocab = vocab.getStringArray(LlmKeys.TOKENIZER_TOKENS).size();
        String a = s.arch();
        long seed = s.seed();
        // llama_ftype: ALL_F32 = 0, MOSTLY_F16 = 1, MOSTLY_BF16 = 32 (by the block matrices' type)
        int fileType = switch (s.weightType() != GgmlType.F32 ? s.weightType() : s.embeddingType()) {
            case F16 -> 1;
            case BF16 -> 32;
            default -> 0;
        };

        GgufWriter w = LmSchema.newWriter(new LmSchema.Header(
                        a,
                        "llava4j tiny " + a + " (random weights, seed " + seed + ")",
                        "random weights (no trained knowledge), written by llava4j's io.llava4j.synthetic;"
                                + " with z ~ N(0,1)-like: matrices z/sqrt(fan_in), embeddings z, biases 0.02z, norms 1+0.02z",
                        fileType,
                        s.nCtx(),
                        s.nEmbd(),
                        s.nLayer(),
                        s.nFf(),
                        s.nHead(),
                        s.nHeadKv(),
                        s.rmsEps(),
                        s.ropeFreqBase(),
                        nVocab))
                .copyMetadata(vocab, k -> k.startsWith(LlmKeys.TOKENIZER_PREFIX));

        long e = s.nEmbd();
        long kv = s.nEmbdKv();
        long ff = s.nFf();
        embedding(w, seed, LmSchema.TOKEN_EMBD, s.embeddingType(), e, nVocab, EMBEDDING_STD);
        norm(w, seed, LmSchema.OUTPUT_NORM, e);
        if (!s.tiedOutput()) {
            matrix(w, seed, LmSchema.OUTPUT, s.embeddingType(), e, nVocab);
        }
        for (int i = 0; i < s.nLayer(); i++) {
            norm(w, seed, LmSchema.Block.ATTN_NORM.weight(i), e);
            matrix(w, seed, LmSchema.Block.ATTN_Q.weight(i), s.weightType(), e, e);
            matrix(w, seed, LmSchema.Block.ATTN_K.weight(i), s.weightType(), e, kv);
            matrix(w, seed, LmSchema.Block.ATTN_V.weight(i), s.weightType(), e, kv);
            if (LmSchema.hasQkvBias(a)) {
                vector(w, seed, LmSchema.Block.ATTN_Q.bias(i), e, 0f);
                vector(w, seed, LmSchema.Block.ATTN_K.bias(i), kv, 0f);
                vector(w, seed, LmSchema.Block.ATTN_V.bias(i), kv, 0f);
            }
            matrix(w, seed, LmSchema.Block.ATTN_OUTPUT.weight(i), s.weightType(), e, e);
            norm(w, seed, LmSchema.Block.FFN_NORM.weight(i), e);
            matrix(w, seed, LmSchema.Block.FFN_GATE.weight(i), s.weightType(), e, ff);
            matrix(w, seed, LmSchema.Block.FFN_UP.weight(i), s.weightType(), e, ff);
            matrix(w, seed, LmSchema.Block.FFN_DOWN.weight(i), s.weightType(), ff, e);
        }
        w.write(out);
    }

    /**
     * A 2-D weight in ggml order: {@code ne0 = in} (the input width), {@code ne1 = out}, with
     * standard deviation {@code 1/sqrt(in)} so that activations keep unit scale through every layer
     * (0.125 at width 64; 0.0156 at width 4096, close to LLaMA's 0.02).
     */
    static void matrix(GgufWriter w, long seed, String name, GgmlType type, long in, long outDim) {
        float std = (float) (1 / Math.sqrt(in));
        w.addTensor(name, type, new long[] {in, outDim}, RandomWeights.normal(seed, name, in * outDim, 0f, std));
    }

    /** An embedding table {@code [width, rows]}. */
    static void embedding(GgufWriter w, long seed, String name, GgmlType type, long width, long rows, float std) {
        w.addTensor(name, type, new long[] {width, rows}, RandomWeights.normal(seed, name, width * rows, 0f, std));
    }

    /** A norm weight: F32, mean 1 with small noise. */
    static void norm(GgufWriter w, long seed, String name, long n) {
        vector(w, seed, name, n, 1f);
    }

    /** A 1-D F32 tensor: {@code mean} + {@link #STD} noise. */
    static void vector(GgufWriter w, long seed, String name, long n, float mean) {
        vector(w, seed, name, n, mean, STD);
    }

    /** A 1-D F32 tensor: {@code mean} + {@code std} noise. */
    static void vector(GgufWriter w, long seed, String name, long n, float mean, float std) {
        w.addTensor(name, GgmlType.F32, new long[] {n}, RandomWeights.normal(seed, name, n, mean, std));
    }
}
