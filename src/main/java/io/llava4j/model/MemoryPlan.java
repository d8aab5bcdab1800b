package io.llava4j.model;

import io.llava4j.Llava4jException;
import io.llava4j.gguf.ClipKeys;
import io.llava4j.gguf.GeneralKeys;
import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.GgufTensorInfo;
import io.llava4j.gguf.LlmKeys;
import java.util.Arrays;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The memory a model pair needs, computed from the GGUF headers alone (no weights read, nothing
 * loaded), the way llama.cpp places it: how many layers fit a GPU's free memory ({@code
 * --gpu-layers auto}) and what {@code llava4j info --fit} prints before anything is downloaded.
 *
 * <p>Placement follows llama.cpp (llama-model.cpp): with {@code n} GPU layers the output layer
 * goes first, then the last {@code n - 1} repeating layers; the token embeddings always stay on
 * the CPU; each offloaded layer takes its part of the KV cache with it. The KV cache holds the
 * context length rounded up to a multiple of 256 (llama-context.cpp), for K and V each {@code
 * n_head_kv * head_dim} elements per token and layer.
 *
 * <p>Weights and KV cache are exact (they are sums of tensor sizes). The compute buffers are an
 * estimate of ggml's graph allocator's peak: the largest of the attention, feed-forward and output
 * working sets of one micro-batch (see {@link #lmCompute}); {@code MemoryPlanTest} bounds its error
 * against llama.cpp's own measurement ({@code llama_get_memory_breakdown}).
 */
public final class MemoryPlan {
    /** llama.cpp rounds the KV cache length up to this. */
    static final int KV_PAD = 256;

    private static final Pattern BLOCK = Pattern.compile("^blk\\.(\\d+)\\.");

    private final int nLayer;
    private final long inputBytes;
    private final long outputBytes;
    private final long tiedOutputBytes;
    private final long[] layerBytes;
    private final long kvPerLayer;
    private final long computeBytes;
    private final long hostComputeBytes;
    private final long mmprojWeights;
    private final long mmprojCompute;
    private final int contextLength;

    private MemoryPlan(
            int nLayer,
            long inputBytes,
            long outputBytes,
            long tiedOutputBytes,
            long[] layerBytes,
            long kvPerLayer,
            long computeBytes,
            long hostComputeBytes,
            long mmprojWeights,
            long mmprojCompute,
            int contextLength) {
        this.nLayer = nLayer;
        this.inputBytes = inputBytes;
        this.outputBytes = outputBytes;
        this.tiedOutputBytes = tiedOutputBytes;
        this.layerBytes = layerBytes;
        this.kvPerLayer = kvPerLayer;
        this.computeBytes = computeBytes;
        this.hostComputeBytes = hostComputeBytes;
        this.mmprojWeights = mmprojWeights;
        this.mmprojCompute = mmprojCompute;
        this.contextLength = contextLength;
    }

    /**
     * Plans a language model (and optionally its mmproj) for one context.
     *
     * @param lm the language model's header
     * @param mmproj the mmproj's header, empty for text only
     * @param context the context length, micro-batch, KV type and flash-attention setting
     * @throws Llava4jException {@code INVALID_FILE} when a key the plan needs is missing
     */
    public static MemoryPlan of(GgufFile lm, Optional<GgufFile> mmproj, ContextOptions context) {
        String arch =
                lm.optionalString(GeneralKeys.ARCHITECTURE).orElseThrow(() -> missing(lm, GeneralKeys.ARCHITECTURE));
        int nLayer = positive(lm, LlmKeys.BLOCK_COUNT.of(arch));
        long nEmbd = positive(lm, LlmKeys.EMBEDDING_LENGTH.of(arch));
        long nFf = positive(lm, LlmKeys.FEED_FORWARD_LENGTH.of(arch));
        long nHead = positive(lm, LlmKeys.HEAD_COUNT.of(arch));
        long nHeadKv = lm.optionalLong(LlmKeys.HEAD_COUNT_KV.of(arch)).orElse(nHead);
        long headK = lm.optionalLong(LlmKeys.KEY_LENGTH.of(arch)).orElse(nEmbd / nHead);
        long headV = lm.optionalLong(LlmKeys.VALUE_LENGTH.of(arch)).orElse(nEmbd / nHead);
        long nVocab = lm.has(LlmKeys.TOKENIZER_TOKENS)
                ? lm.value(LlmKeys.TOKENIZER_TOKENS).length()
                : lm.optionalLong(LlmKeys.VOCAB_SIZE.of(arch)).orElseThrow(() -> missing(lm, LlmKeys.TOKENIZER_TOKENS));

        long input = 0;
        long output = 0;
        long tokenEmbd = 0;
        boolean hasOutput = false;
        long[] layers = new long[nLayer];
        for (GgufTensorInfo t : lm.tensors()) {
            Matcher m = BLOCK.matcher(t.name());
            if (m.find()) {
                int il = Integer.parseInt(m.group(1));
                if (il < nLayer) {
                    layers[il] += t.byteSize();
                    continue;
                }
            }
            if (t.name().startsWith("token_embd.")) {
                tokenEmbd += t.byteSize();
                input += t.byteSize();
            } else {
                // output.weight, output_norm.*, and the rest of the output layer
                output += t.byteSize();
                hasOutput |= t.name().equals("output.weight");
            }
        }
        // tied embeddings: the output matrix is token_embd again, a second copy only on a GPU
        long tiedOutput = hasOutput ? 0 : tokenEmbd;

        int nCtx = padKv(
                context.contextLength() > 0
                        ? context.contextLength()
                        : (int) Math.min(
                                ContextOptions.DEFAULT_MAX_CONTEXT,
                                lm.optionalLong(LlmKeys.CONTEXT_LENGTH.of(arch))
                                        .orElse(ContextOptions.DEFAULT_MAX_CONTEXT)));
        GgmlType kv = context.kvType();
        long kvPerLayer = kv.byteSize(nCtx * nHeadKv * headK) + kv.byteSize(nCtx * nHeadKv * headV);

        long t = Math.min(context.microBatchSize(), nCtx);
        boolean flash = context.flashAttention() == null || context.flashAttention();
        long compute = lmCompute(t, nCtx, nEmbd, nFf, nHead, nHeadKv, headK, headV, nVocab, flash);
        long hostCompute = t * nEmbd * 4 * 2 + t * nCtx * (flash ? 2 : 4);

        long mmWeights = 0;
        long mmCompute = 0;
        if (mmproj.isPresent()) {
            GgufFile mm = mmproj.get();
            for (GgufTensorInfo ti : mm.tensors()) {
                mmWeights += ti.byteSize();
            }
            mmCompute = visionCompute(mm);
        }
        return new MemoryPlan(
                nLayer,
                input,
                output,
                tiedOutput,
                layers,
                kvPerLayer,
                compute,
                hostCompute,
                mmWeights,
                mmCompute,
                nCtx);
    }

    /**
     * Peak of ggml's graph allocator for one micro-batch of {@code t} tokens (what llama.cpp reserves
     * at context creation, for the worst case of every token producing logits). Checked against
     * llama.cpp's measurement by MemoryPlanTest; each term is a set of tensors live at once:
     * <ul>
     *   <li>output: the logits ({@code t x n_vocab}) with the final norm and the residual stream;
     *   <li>attention without flash attention: the score matrix {@code t x n_kv x n_head} and its
     *       mask, with Q, K, V and the head outputs;
     *   <li>attention with flash attention (no score matrix): Q, K, V, output and an f16 mask;
     *   <li>feed-forward: gate, up and activated gate ({@code t x n_ff} each) with the residual
     *       and the attention mask.
     * </ul>
     */
    static long lmCompute(
            long t,
            long nCtx,
            long nEmbd,
            long nFf,
            long nHead,
            long nHeadKv,
            long headK,
            long headV,
            long nVocab,
            boolean flash) {
        long f32 = 4;
        long residual = t * nEmbd * f32;
        long kv = nHeadKv * (headK + headV);
        long output = 2 * residual + t * nVocab * f32;
        long attention = flash
                ? residual + t * (nHead * headK + kv + nHead * headV + nEmbd) * f32 + t * nCtx * 2
                : residual + t * nCtx * nHead * f32 + t * nCtx * f32 + t * (4 * nEmbd + kv) * f32;
        long mask = t * nCtx * (flash ? 2 : f32);
        long ffn = 4 * residual + 3 * t * nFf * f32 + mask;
        return Math.max(output, Math.max(attention, ffn));
    }

    /** Working set of one CLIP/SigLIP encode: patches x (attention scores or FFN), plus the residual. */
    private static long visionCompute(GgufFile mm) {
        long size = mm.optionalLong(ClipKeys.VISION_IMAGE_SIZE).orElse(336);
        long patch = mm.optionalLong(ClipKeys.VISION_PATCH_SIZE).orElse(14);
        long width = mm.optionalLong(ClipKeys.VISION_EMBEDDING_LENGTH).orElse(1024);
        long ff = mm.optionalLong(ClipKeys.VISION_FEED_FORWARD_LENGTH).orElse(4 * width);
        long out = width;
        for (GgufTensorInfo t : mm.tensors()) {
            if (t.name().matches("mm\\.\\d+\\.weight") && t.nDims() == 2) {
                out = Math.max(out, t.dim(1)); // the projector's widest output (the LM's width)
            }
        }
        long side = size / patch;
        long p = side * side + 1;
        long pixels = size * size * 3 * 4; // the input image, live for the whole graph
        long patchify = side * side * patch * patch * 3 * 2; // im2col of the patch embedding, f16
        long attention = 4 * p * width * 4; // flash attention: Q, K, V and output, no score matrix
        long ffn = 2 * p * ff * 4;
        long projector = 2 * p * out * 4;
        return pixels + Math.max(Math.max(patchify, attention), Math.max(ffn, projector));
    }

    static int padKv(int n) {
        return (int) ((n + (long) KV_PAD - 1) / KV_PAD * KV_PAD);
    }

    /** Repeating layers; {@code gpuLayers} runs from 0 to this + 1 (the output layer counts as one). */
    public int layerCount() {
        return nLayer;
    }

    /** The KV cache length llama.cpp allocates (the context rounded up to 256). */
    public int kvLength() {
        return contextLength;
    }

    /** Token embeddings: always in host memory. */
    public long inputBytes() {
        return inputBytes;
    }

    /**
     * The output layer (final norm and output matrix) where it is placed: on a GPU a model with tied
     * embeddings needs its own copy of the token embeddings as the output matrix; on the CPU it
     * shares them.
     */
    public long outputBytes(boolean onDevice) {
        return outputBytes + (onDevice ? tiedOutputBytes : 0);
    }

    /** Weights of repeating layer {@code i}. */
    public long layerBytes(int i) {
        return layerBytes[i];
    }

    /** All language-model weights, as loaded on the CPU alone. */
    public long weightBytes() {
        return inputBytes + outputBytes + Arrays.stream(layerBytes).sum();
    }

    /** KV cache of one layer. */
    public long kvBytesPerLayer() {
        return kvPerLayer;
    }

    /** KV cache of all layers. */
    public long kvBytes() {
        return kvPerLayer * nLayer;
    }

    /** Estimated compute buffer of the device that holds the output layer. */
    public long computeBytes() {
        return computeBytes;
    }

    /** Estimated host compute buffer when layers are offloaded (graph inputs, CPU-side activations). */
    public long hostComputeBytes() {
        return hostComputeBytes;
    }

    /** The mmproj's weights (vision tower and projector). */
    public long mmprojWeightBytes() {
        return mmprojWeights;
    }

    /** Estimated compute buffer of one image encode. */
    public long mmprojComputeBytes() {
        return mmprojCompute;
    }

    /** Whether layer {@code il} is offloaded with {@code gpuLayers} (llama-model.cpp's rule). */
    static boolean offloaded(int il, int gpuLayers, int nLayer) {
        return il >= nLayer + 1 - gpuLayers;
    }

    private int clamp(int gpuLayers) {
        return gpuLayers < 0 ? nLayer + 1 : Math.min(gpuLayers, nLayer + 1);
    }

    /** Memory on the GPU with {@code gpuLayers} offloaded (-1 = all) and the mmproj there or not. */
    public long deviceBytes(int gpuLayers, boolean mmprojOnDevice) {
        int n = clamp(gpuLayers);
        long bytes = mmprojOnDevice && n >= 0 ? mmprojWeights + mmprojCompute : 0;
        if (n == 0) {
            return mmprojOnDevice ? bytes : 0;
        }
        bytes += outputBytes(true) + computeBytes;
        for (int il = 0; il < nLayer; il++) {
            if (offloaded(il, n, nLayer)) {
                bytes += layerBytes[il] + kvPerLayer;
            }
        }
        return bytes;
    }

    /** Memory on the host with {@code gpuLayers} offloaded (-1 = all) and the mmproj on the GPU or not. */
    public long hostBytes(int gpuLayers, boolean mmprojOnDevice) {
        int n = clamp(gpuLayers);
        long bytes = inputBytes + (mmprojOnDevice ? 0 : mmprojWeights + mmprojCompute);
        if (n == 0) {
            bytes += outputBytes(false) + computeBytes;
        } else {
            bytes += hostComputeBytes;
        }
        for (int il = 0; il < nLayer; il++) {
            if (!offloaded(il, n, nLayer)) {
                bytes += layerBytes[il] + kvPerLayer;
            }
        }
        return bytes;
    }

    /**
     * The most layers whose memory fits {@code budget} bytes of GPU memory, after the mmproj when it
     * goes there too; 0 when not even the output layer fits.
     */
    public int layersThatFit(long budget, boolean mmprojOnDevice) {
        int best = 0;
        for (int n = 1; n <= nLayer + 1; n++) {
            if (deviceBytes(n, mmprojOnDevice) <= budget) {
                best = n;
            } else {
                break;
            }
        }
        return best;
    }

    private static Llava4jException missing(GgufFile f, String key) {
        return new Llava4jException(
                Llava4jException.Code.INVALID_FILE, f.path() + ": missing key " + key + " (needed to plan memory)");
    }

    private static int positive(GgufFile f, String key) {
        long v = f.optionalLong(key).orElseThrow(() -> missing(f, key));
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw new Llava4jException(
                    Llava4jException.Code.INVALID_FILE, f.path() + ": " + key + " = " + v + " is not a positive size");
        }
        return (int) v;
    }
}
