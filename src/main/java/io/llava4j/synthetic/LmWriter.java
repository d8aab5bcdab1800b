package io.llava4j.synthetic;

import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufReader;
import io.llava4j.gguf.GgufWriter;
import java.nio.file.Path;

/**
 * Writes a random-weight {@code llama} or {@code qwen2} language model that the pinned llama.cpp
 * loads. Keys and tensor names are those {@code llama_model_base::load_hparams} and
 * {@code llama_model_llama/qwen2::load_arch_tensors} (src/llama-model.cpp, src/models/llama.cpp,
 * src/models/qwen2.cpp at de3ff815) read; hyper-parameters have the types
 * {@code convert_hf_to_gguf.py} writes (counts UINT32, epsilon and rope base FLOAT32).
 */
final class LmWriter {
    /** Standard deviation of biases and of the noise on norm weights. */
    static final float STD = 0.02f;
    /** Standard deviation of token, position and class embeddings (see {@link SyntheticModels} for why 1). */
    static final float EMBEDDING_STD = 1f;

    private LmWriter() {}

    static void write(LmSpec s, Path vocabFile, Path out) {
        GgufFile vocab = GgufReader.read(vocabFile);
        long nVocab = vocab.getStringArray("tokenizer.ggml.tokens").size();
        String a = s.arch();
        long seed = s.seed();
        // llama_ftype: ALL_F32 = 0, MOSTLY_F16 = 1, MOSTLY_BF16 = 32 (by the block matrices' type)
        int fileType = switch (s.weightType() != GgmlType.F32 ? s.weightType() : s.embeddingType()) {
            case F16 -> 1;
            case BF16 -> 32;
            default -> 0;
        };

        GgufWriter w = new GgufWriter()
                .putString("general.architecture", a)
                .putString("general.name", "llava4j tiny " + a + " (random weights, seed " + seed + ")")
                .putString("general.description", "random weights (no trained knowledge), written by llava4j's io.llava4j.synthetic;"
                        + " with z ~ N(0,1)-like: matrices z/sqrt(fan_in), embeddings z, biases 0.02z, norms 1+0.02z")
                .putU32("general.file_type", fileType)
                .putU32(a + ".context_length", s.nCtx())
                .putU32(a + ".embedding_length", s.nEmbd())
                .putU32(a + ".block_count", s.nLayer())
                .putU32(a + ".feed_forward_length", s.nFf())
                .putU32(a + ".attention.head_count", s.nHead())
                .putU32(a + ".attention.head_count_kv", s.nHeadKv())
                .putU32(a + ".rope.dimension_count", s.headDim())
                .putF32(a + ".attention.layer_norm_rms_epsilon", s.rmsEps())
                .putF32(a + ".rope.freq_base", s.ropeFreqBase())
                .putU32(a + ".vocab_size", nVocab)
                .copyMetadata(vocab, k -> k.startsWith("tokenizer."));

        long e = s.nEmbd();
        long kv = s.nEmbdKv();
        long ff = s.nFf();
        embedding(w, seed, "token_embd.weight", s.embeddingType(), e, nVocab, EMBEDDING_STD);
        norm(w, seed, "output_norm.weight", e);
        if (!s.tiedOutput()) {
            matrix(w, seed, "output.weight", s.embeddingType(), e, nVocab);
        }
        for (int i = 0; i < s.nLayer(); i++) {
            String b = "blk." + i + ".";
            norm(w, seed, b + "attn_norm.weight", e);
            matrix(w, seed, b + "attn_q.weight", s.weightType(), e, e);
            matrix(w, seed, b + "attn_k.weight", s.weightType(), e, kv);
            matrix(w, seed, b + "attn_v.weight", s.weightType(), e, kv);
            if (a.equals("qwen2")) {
                vector(w, seed, b + "attn_q.bias", e, 0f);
                vector(w, seed, b + "attn_k.bias", kv, 0f);
                vector(w, seed, b + "attn_v.bias", kv, 0f);
            }
            matrix(w, seed, b + "attn_output.weight", s.weightType(), e, e);
            norm(w, seed, b + "ffn_norm.weight", e);
            matrix(w, seed, b + "ffn_gate.weight", s.weightType(), e, ff);
            matrix(w, seed, b + "ffn_up.weight", s.weightType(), e, ff);
            matrix(w, seed, b + "ffn_down.weight", s.weightType(), ff, e);
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
