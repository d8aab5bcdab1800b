package io.llava4j.gguf;

/**
 * The language-model metadata keys llava4j reads or writes: those under the architecture's prefix
 * ({@code llama.context_length}, ...) and the tokenizer's. Names and Javadoc follow llama.cpp's
 * {@code LLM_KV_*} table in src/llama-arch.cpp, whose {@code %s} is the architecture; an
 * {@link ArchKey} is such a pattern and {@link ArchKey#of} fills it in, as {@code LLM_KV(arch)} does.
 * The {@code general.*} keys are in {@link GeneralKeys}.
 */
public final class LlmKeys {
    private LlmKeys() {}

    /**
     * A key under the architecture's prefix.
     *
     * @param pattern the key with {@code %s} for the architecture, as llama.cpp's {@code LLM_KV_NAMES} writes it
     */
    public record ArchKey(String pattern) {
        /** The key for {@code arch}, e.g. {@code llama.context_length}. */
        public String of(String arch) {
            return pattern.replace("%s", arch);
        }
    }

    /** {@code %s.vocab_size} (UINT32; {@code LLM_KV_VOCAB_SIZE}). */
    public static final ArchKey VOCAB_SIZE = new ArchKey("%s.vocab_size");
    /** {@code %s.context_length} (UINT32 training context; {@code LLM_KV_CONTEXT_LENGTH}). */
    public static final ArchKey CONTEXT_LENGTH = new ArchKey("%s.context_length");
    /** {@code %s.embedding_length} (UINT32 {@code n_embd}; {@code LLM_KV_EMBEDDING_LENGTH}). */
    public static final ArchKey EMBEDDING_LENGTH = new ArchKey("%s.embedding_length");
    /** {@code %s.block_count} (UINT32 {@code n_layer}; {@code LLM_KV_BLOCK_COUNT}). */
    public static final ArchKey BLOCK_COUNT = new ArchKey("%s.block_count");
    /** {@code %s.feed_forward_length} (UINT32 {@code n_ff}; {@code LLM_KV_FEED_FORWARD_LENGTH}). */
    public static final ArchKey FEED_FORWARD_LENGTH = new ArchKey("%s.feed_forward_length");
    /** {@code %s.attention.head_count} (UINT32; {@code LLM_KV_ATTENTION_HEAD_COUNT}). */
    public static final ArchKey HEAD_COUNT = new ArchKey("%s.attention.head_count");
    /** {@code %s.attention.head_count_kv} (UINT32; {@code LLM_KV_ATTENTION_HEAD_COUNT_KV}). */
    public static final ArchKey HEAD_COUNT_KV = new ArchKey("%s.attention.head_count_kv");
    /** {@code %s.attention.key_length} (UINT32 head size of K; {@code LLM_KV_ATTENTION_KEY_LENGTH}). */
    public static final ArchKey KEY_LENGTH = new ArchKey("%s.attention.key_length");
    /** {@code %s.attention.value_length} (UINT32 head size of V; {@code LLM_KV_ATTENTION_VALUE_LENGTH}). */
    public static final ArchKey VALUE_LENGTH = new ArchKey("%s.attention.value_length");
    /** {@code %s.attention.layer_norm_rms_epsilon} (FLOAT32; {@code LLM_KV_ATTENTION_LAYERNORM_RMS_EPS}). */
    public static final ArchKey LAYER_NORM_RMS_EPS = new ArchKey("%s.attention.layer_norm_rms_epsilon");
    /** {@code %s.rope.dimension_count} (UINT32; {@code LLM_KV_ROPE_DIMENSION_COUNT}). */
    public static final ArchKey ROPE_DIMENSION_COUNT = new ArchKey("%s.rope.dimension_count");
    /** {@code %s.rope.freq_base} (FLOAT32; {@code LLM_KV_ROPE_FREQ_BASE}). */
    public static final ArchKey ROPE_FREQ_BASE = new ArchKey("%s.rope.freq_base");

    /** The prefix of every tokenizer key. */
    public static final String TOKENIZER_PREFIX = "tokenizer.";
    /** {@code tokenizer.ggml.model} (STRING: {@code llama}, {@code gpt2}, ...; {@code LLM_KV_TOKENIZER_MODEL}). */
    public static final String TOKENIZER_MODEL = "tokenizer.ggml.model";
    /** {@code tokenizer.ggml.pre} (STRING pre-tokenizer; {@code LLM_KV_TOKENIZER_PRE}). */
    public static final String TOKENIZER_PRE = "tokenizer.ggml.pre";
    /** {@code tokenizer.ggml.tokens} (STRING array; {@code LLM_KV_TOKENIZER_LIST}). */
    public static final String TOKENIZER_TOKENS = "tokenizer.ggml.tokens";
    /** {@code tokenizer.ggml.token_type} (INT32 array; {@code LLM_KV_TOKENIZER_TOKEN_TYPE}). */
    public static final String TOKENIZER_TOKEN_TYPE = "tokenizer.ggml.token_type";
    /** {@code tokenizer.ggml.scores} (FLOAT32 array; {@code LLM_KV_TOKENIZER_SCORES}). */
    public static final String TOKENIZER_SCORES = "tokenizer.ggml.scores";
    /** {@code tokenizer.ggml.merges} (STRING array; {@code LLM_KV_TOKENIZER_MERGES}). */
    public static final String TOKENIZER_MERGES = "tokenizer.ggml.merges";
    /** {@code tokenizer.ggml.bos_token_id} (UINT32; {@code LLM_KV_TOKENIZER_BOS_ID}). */
    public static final String TOKENIZER_BOS_ID = "tokenizer.ggml.bos_token_id";
    /** {@code tokenizer.ggml.eos_token_id} (UINT32; {@code LLM_KV_TOKENIZER_EOS_ID}). */
    public static final String TOKENIZER_EOS_ID = "tokenizer.ggml.eos_token_id";
    /** {@code tokenizer.ggml.eot_token_id} (UINT32; {@code LLM_KV_TOKENIZER_EOT_ID}). */
    public static final String TOKENIZER_EOT_ID = "tokenizer.ggml.eot_token_id";
    /** {@code tokenizer.ggml.eom_token_id} (UINT32; {@code LLM_KV_TOKENIZER_EOM_ID}). */
    public static final String TOKENIZER_EOM_ID = "tokenizer.ggml.eom_token_id";
    /** {@code tokenizer.ggml.unknown_token_id} (UINT32; {@code LLM_KV_TOKENIZER_UNK_ID}). */
    public static final String TOKENIZER_UNK_ID = "tokenizer.ggml.unknown_token_id";
    /** {@code tokenizer.ggml.seperator_token_id} (UINT32, llama.cpp's spelling; {@code LLM_KV_TOKENIZER_SEP_ID}). */
    public static final String TOKENIZER_SEP_ID = "tokenizer.ggml.seperator_token_id";
    /** {@code tokenizer.ggml.padding_token_id} (UINT32; {@code LLM_KV_TOKENIZER_PAD_ID}). */
    public static final String TOKENIZER_PAD_ID = "tokenizer.ggml.padding_token_id";
    /** {@code tokenizer.ggml.mask_token_id} (UINT32; {@code LLM_KV_TOKENIZER_MASK_ID}). */
    public static final String TOKENIZER_MASK_ID = "tokenizer.ggml.mask_token_id";
    /** {@code tokenizer.ggml.add_bos_token} (BOOL; {@code LLM_KV_TOKENIZER_ADD_BOS}). */
    public static final String TOKENIZER_ADD_BOS = "tokenizer.ggml.add_bos_token";
    /** {@code tokenizer.ggml.add_eos_token} (BOOL; {@code LLM_KV_TOKENIZER_ADD_EOS}). */
    public static final String TOKENIZER_ADD_EOS = "tokenizer.ggml.add_eos_token";
    /** {@code tokenizer.ggml.add_sep_token} (BOOL; {@code LLM_KV_TOKENIZER_ADD_SEP}). */
    public static final String TOKENIZER_ADD_SEP = "tokenizer.ggml.add_sep_token";
    /** {@code tokenizer.ggml.add_space_prefix} (BOOL; {@code LLM_KV_TOKENIZER_ADD_PREFIX}). */
    public static final String TOKENIZER_ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";
    /** {@code tokenizer.ggml.normalizer.lowercase} (BOOL; {@code LLM_KV_TOKENIZER_NORMALIZER_LOWERCASE}). */
    public static final String TOKENIZER_NORMALIZER_LOWERCASE = "tokenizer.ggml.normalizer.lowercase";
    /** {@code tokenizer.ggml.normalizer.strip_accents} (BOOL; {@code LLM_KV_TOKENIZER_NORMALIZER_STRIP_ACCENTS}). */
    public static final String TOKENIZER_NORMALIZER_STRIP_ACCENTS = "tokenizer.ggml.normalizer.strip_accents";
    /** {@code tokenizer.chat_template} (STRING Jinja template; {@code LLM_KV_TOKENIZER_CHAT_TEMPLATE}). */
    public static final String TOKENIZER_CHAT_TEMPLATE = "tokenizer.chat_template";
}
