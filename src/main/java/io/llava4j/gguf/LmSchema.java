package io.llava4j.gguf;

import java.util.Objects;

/**
 * The language-model GGUF llava4j writes, owned in one place so that the converter
 * ({@code io.llava4j.convert.llava}) and the random-weight models ({@code io.llava4j.synthetic})
 * cannot drift apart: the metadata keys, their types and order ({@link #newWriter}) and the tensor
 * names. Keys and types are those {@code TextModel}/{@code LlamaModel}/{@code Qwen2Model.set_gguf_parameters}
 * in llama.cpp's convert_hf_to_gguf.py write and {@code llama_model_base::load_hparams} reads
 * (counts UINT32, epsilon and rope base FLOAT32); tensor names those of {@code LLM_TENSOR_NAMES}
 * in src/llama-arch.cpp that {@code llama_model_llama/qwen2::load_arch_tensors} load.
 */
public final class LmSchema {
    private LmSchema() {}

    /** {@code general.architecture} of LLaMA, Vicuna, Mistral and Llama 3 language models. */
    public static final String LLAMA = "llama";
    /** {@code general.architecture} of Qwen2 language models (q/k/v biases, NeoX rope). */
    public static final String QWEN2 = "qwen2";

    /** {@code token_embd.weight} ({@code LLM_TENSOR_TOKEN_EMBD}): ne {@code [n_embd, n_vocab]}. */
    public static final String TOKEN_EMBD = "token_embd.weight";
    /** {@code output_norm.weight} ({@code LLM_TENSOR_OUTPUT_NORM}): ne {@code [n_embd]}. */
    public static final String OUTPUT_NORM = "output_norm.weight";
    /** {@code output.weight} ({@code LLM_TENSOR_OUTPUT}); absent when tied to {@link #TOKEN_EMBD}. */
    public static final String OUTPUT = "output.weight";

    /** The per-block tensors, {@code blk.%d.<name>} in {@code LLM_TENSOR_NAMES}. */
    public enum Block {
        ATTN_NORM("attn_norm"),
        ATTN_Q("attn_q"),
        ATTN_K("attn_k"),
        ATTN_V("attn_v"),
        ATTN_OUTPUT("attn_output"),
        FFN_NORM("ffn_norm"),
        FFN_GATE("ffn_gate"),
        FFN_UP("ffn_up"),
        FFN_DOWN("ffn_down");

        private final String base;

        Block(String base) {
            this.base = base;
        }

        /** {@code blk.<block>.<name>.weight}. */
        public String weight(int block) {
            return "blk." + block + "." + base + ".weight";
        }

        /** {@code blk.<block>.<name>.bias} (Qwen2's q/k/v only, see {@link #hasQkvBias}). */
        public String bias(int block) {
            return "blk." + block + "." + base + ".bias";
        }
    }

    /** Whether {@code arch} has biases on its q, k and v projections (Qwen2 does, LLaMA does not). */
    public static boolean hasQkvBias(String arch) {
        return arch.equals(QWEN2);
    }

    /**
     * The header of a language model.
     *
     * @param arch {@link #LLAMA} or {@link #QWEN2}
     * @param name {@code general.name}
     * @param description {@code general.description}, or null for none
     * @param fileType {@code general.file_type} ({@code llama_ftype}: 0 all F32, 1 mostly F16, 7 Q8_0, 32 BF16)
     * @param nCtx training context length
     * @param nEmbd model width
     * @param nLayer transformer blocks
     * @param nFf feed-forward width
     * @param nHead attention heads; {@code nEmbd / nHead} is the head size and rope dimension count
     * @param nHeadKv key/value heads
     * @param rmsEps RMSNorm epsilon
     * @param ropeFreqBase rope base frequency
     * @param nVocab vocabulary size (rows of {@link #TOKEN_EMBD})
     */
    public record Header(
            String arch,
            String name,
            String description,
            int fileType,
            int nCtx,
            int nEmbd,
            int nLayer,
            int nFf,
            int nHead,
            int nHeadKv,
            float rmsEps,
            float ropeFreqBase,
            long nVocab) {
        public Header {
            Objects.requireNonNull(arch, "arch");
            Objects.requireNonNull(name, "name");
            if (!arch.equals(LLAMA) && !arch.equals(QWEN2)) {
                throw new IllegalArgumentException("arch must be llama or qwen2, not " + arch);
            }
            if (nHead <= 0 || nEmbd % nHead != 0) {
                throw new IllegalArgumentException("nEmbd " + nEmbd + " does not split into " + nHead + " heads");
            }
        }

        /** Head size, also the rope dimension count. */
        public int headDim() {
            return nEmbd / nHead;
        }
    }

    /**
     * A writer holding the header's metadata, in the order convert_hf_to_gguf writes it; the caller
     * adds the {@code tokenizer.*} keys and the tensors. {@code vocab_size} and
     * {@code rope.dimension_count} are written for LLaMA only, as {@code LlamaModel.set_gguf_parameters}
     * does (llama.cpp derives both for Qwen2: the token count, the head size).
     */
    public static GgufWriter newWriter(Header h) {
        String a = h.arch();
        GgufWriter w = new GgufWriter().putString(GeneralKeys.ARCHITECTURE, a).putString(GeneralKeys.NAME, h.name());
        if (h.description() != null) {
            w.putString(GeneralKeys.DESCRIPTION, h.description());
        }
        w.putU32(LlmKeys.BLOCK_COUNT.of(a), h.nLayer())
                .putU32(LlmKeys.CONTEXT_LENGTH.of(a), h.nCtx())
                .putU32(LlmKeys.EMBEDDING_LENGTH.of(a), h.nEmbd())
                .putU32(LlmKeys.FEED_FORWARD_LENGTH.of(a), h.nFf())
                .putU32(LlmKeys.HEAD_COUNT.of(a), h.nHead())
                .putU32(LlmKeys.HEAD_COUNT_KV.of(a), h.nHeadKv())
                .putF32(LlmKeys.ROPE_FREQ_BASE.of(a), h.ropeFreqBase())
                .putF32(LlmKeys.LAYER_NORM_RMS_EPS.of(a), h.rmsEps())
                .putU32(GeneralKeys.FILE_TYPE, h.fileType());
        if (a.equals(LLAMA)) {
            w.putU32(LlmKeys.VOCAB_SIZE.of(a), h.nVocab()).putU32(LlmKeys.ROPE_DIMENSION_COUNT.of(a), h.headDim());
        }
        return w;
    }
}
