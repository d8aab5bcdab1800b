package io.llava4j.model;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.gguf.GeneralKeys;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.LlmKeys;
import io.llava4j.nativeio.NativeLibrary;
import io.llava4j.nativeio.NativeStrings;
import io.llava4j.nativeio.SharedHandle;
import io.llava4j.nativeio.bindings.LlamaLib;
import io.llava4j.nativeio.bindings.LlamaLib.llama_model;
import io.llava4j.nativeio.bindings.LlamaLib.llama_model_params;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.DoubleConsumer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A language model loaded from a GGUF file: its weights, metadata and {@link Vocabulary}.
 *
 * <p>Thread-safety: every method is safe from any thread, {@link #close()} included.
 *
 * <p>Close: after {@link #close()} every method of this object throws {@code CLOSED}. The native
 * model lives on while a context created from it is open (contexts keep their model alive, so models
 * and contexts may be closed in any order), and a {@link Vocabulary} obtained earlier works exactly
 * as long as the native model lives; a call that races a close either completes on the live model or
 * throws {@code CLOSED}, never touches freed memory.
 */
public final class LanguageModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LanguageModel.class);

    private final Path path;
    private final GgufFile header;
    private final ModelOptions options;
    private final llama_model handle;
    private final Vocabulary vocabulary;
    private final SharedHandle shared;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final String architecture;
    private final int embeddingWidth;
    private final int trainedContext;

    private LanguageModel(Path path, GgufFile header, ModelOptions options, llama_model handle) {
        this.path = path;
        this.header = header;
        this.options = options;
        this.handle = handle;
        this.shared = new SharedHandle("LanguageModel " + path.getFileName(), () -> {
            LlamaLib.llama_model_free(handle);
            handle.setNull();
        });
        this.vocabulary = new Vocabulary(LlamaLib.llama_model_get_vocab(handle), shared);
        this.architecture = metadata(GeneralKeys.ARCHITECTURE).orElse("unknown");
        this.embeddingWidth = LlamaLib.llama_model_n_embd_inp(handle);
        this.trainedContext = LlamaLib.llama_model_n_ctx_train(handle);
    }

    /**
     * Loads a model. The file is validated in Java first (GGUF structure, key types, tensor shapes),
     * so a malformed file is an exception, never a native crash.
     *
     * @throws Llava4jException {@code IO} if unreadable, {@code INVALID_FILE} if malformed or not a
     *     language model, {@code LOAD_FAILED} if llama.cpp rejects it
     */
    public static LanguageModel load(Path path, ModelOptions options) {
        return load(path, options, null);
    }

    /**
     * Loads a language model, telling {@code progress} how far loading is (0 to 1, on the calling
     * thread, a few dozen times).
     *
     * @param progress told the fraction loaded, or null
     * @throws Llava4jException as {@link #load(Path, ModelOptions)}
     */
    public static LanguageModel load(Path path, ModelOptions options, DoubleConsumer progress) {
        return load(ModelFileCheck.checkLanguageModel(path), options, progress);
    }

    /**
     * Loads the language model whose header {@link ModelFileCheck#checkLanguageModel} validated
     * (the file is not parsed again).
     *
     * @param header what {@code checkLanguageModel} returned
     * @param progress told the fraction loaded, or null
     * @throws Llava4jException {@code LOAD_FAILED} if llama.cpp rejects the file
     */
    public static LanguageModel load(GgufFile header, ModelOptions options, DoubleConsumer progress) {
        Path path = header.path();
        NativeLibrary.ensureLoaded();
        llama_model_params params = LlamaLib.llama_model_default_params();
        params.n_gpu_layers(options.gpuLayers());
        params.load_mode(options.useMmap() ? LlamaLib.LLAMA_LOAD_MODE_MMAP : LlamaLib.LLAMA_LOAD_MODE_NONE);
        params.vocab_only(options.vocabOnly());
        long start = System.nanoTime();
        llama_model model;
        // held in a local for the whole call: the native side keeps only the function pointer
        LoadProgress callback = progress != null ? new LoadProgress(progress) : null;
        if (callback != null) {
            params.progress_callback(callback);
        }
        try (BytePointer p = NativeStrings.path(path)) {
            model = LlamaLib.llama_model_load_from_file(p, params);
        } finally {
            if (callback != null) {
                callback.close();
            }
        }
        if (model == null || model.isNull()) {
            throw new Llava4jException(
                    Code.LOAD_FAILED,
                    path + ": llama.cpp could not load this model (see the llama.cpp log lines above for the reason)");
        }
        LanguageModel lm = new LanguageModel(path, header, options, model);
        LOG.debug(
                "loaded {} ({}, {} layers, width {}) in {} ms",
                path,
                lm.architecture,
                lm.layerCount(),
                lm.embeddingWidth,
                (System.nanoTime() - start) / 1_000_000);
        return lm;
    }

    /** Loads with {@link ModelOptions#defaults()}. */
    public static LanguageModel load(Path path) {
        return load(path, ModelOptions.defaults());
    }

    /**
     * Creates an inference context over this model; the caller closes it. The context holds a
     * reference to the native model until it is closed.
     *
     * @throws Llava4jException {@code CLOSED} after {@link #close()}
     */
    public InferenceContext newContext(ContextOptions options) {
        return newContext(options, 1);
    }

    /**
     * Creates an inference context of {@code sequences} KV sequences, each of {@link
     * ContextOptions#contextLength()} positions, decoded together through {@link
     * InferenceContext#decode(InferenceContext.Step)}; the caller closes it.
     *
     * @throws Llava4jException {@code CLOSED} after {@link #close()}, {@code INVALID_ARGUMENT} for
     *     a count outside 1..{@link InferenceContext#MAX_SEQUENCES}
     */
    public InferenceContext newContext(ContextOptions options, int sequences) {
        checkOpen();
        if (this.options.vocabOnly()) {
            throw new Llava4jException(Code.ILLEGAL_STATE, path + " was loaded vocabulary-only; it has no weights");
        }
        shared.acquire();
        try {
            return new InferenceContext(this, options, sequences);
        } catch (RuntimeException e) {
            shared.release();
            throw e;
        }
    }

    /** The file this model was loaded from. */
    public Path path() {
        checkOpen();
        return path;
    }

    /** The validated GGUF header (metadata and tensor list) read before loading. */
    public GgufFile header() {
        checkOpen();
        return header;
    }

    /** The tokenizer; it works while the native model lives (see the class comment). */
    public Vocabulary vocabulary() {
        checkOpen();
        return vocabulary;
    }

    /** {@code general.architecture}, e.g. "llama", "qwen2". */
    public String architecture() {
        checkOpen();
        return architecture;
    }

    /** {@code general.name}, or the file name. */
    public String name() {
        return metadata(GeneralKeys.NAME).orElse(path.getFileName().toString());
    }

    /** Width of one input embedding ({@code llama_model_n_embd_inp}): what an mmproj must produce. */
    public int embeddingWidth() {
        checkOpen();
        return embeddingWidth;
    }

    /** The context length the model was trained with. */
    public int trainedContextLength() {
        checkOpen();
        return trainedContext;
    }

    public int layerCount() {
        beginCall();
        try {
            return LlamaLib.llama_model_n_layer(handle);
        } finally {
            shared.release();
        }
    }

    public long parameterCount() {
        beginCall();
        try {
            return LlamaLib.llama_model_n_params(handle);
        } finally {
            shared.release();
        }
    }

    /** Size of the weights in bytes. */
    public long sizeBytes() {
        beginCall();
        try {
            return LlamaLib.llama_model_size(handle);
        } finally {
            shared.release();
        }
    }

    /** llama.cpp's one-line description, e.g. "llama 7B Q4_K - Medium". */
    public String description() {
        byte[] buf = new byte[256];
        int n;
        beginCall();
        try {
            n = LlamaLib.llama_model_desc(handle, buf, buf.length);
        } finally {
            shared.release();
        }
        return new String(buf, 0, Math.max(0, Math.min(n, buf.length - 1)), StandardCharsets.UTF_8);
    }

    /** The chat template stored in the file ({@code tokenizer.chat_template}), if any. */
    public Optional<String> chatTemplate() {
        return metadata(LlmKeys.TOKENIZER_CHAT_TEMPLATE);
    }

    /** One metadata value as llama.cpp renders it to a string (arrays are summarised). */
    public Optional<String> metadata(String key) {
        beginCall();
        try (BytePointer k = NativeStrings.utf8(key)) {
            int n = LlamaLib.llama_model_meta_val_str(handle, k, (BytePointer) null, 0);
            if (n < 0) {
                return Optional.empty();
            }
            byte[] buf = new byte[n + 1];
            LlamaLib.llama_model_meta_val_str(handle, k, buf, buf.length);
            return Optional.of(new String(buf, 0, n, StandardCharsets.UTF_8));
        } finally {
            shared.release();
        }
    }

    /** All metadata as llama.cpp sees it, in file order. */
    public Map<String, String> metadata() {
        beginCall();
        try {
            Map<String, String> out = new LinkedHashMap<>();
            int count = LlamaLib.llama_model_meta_count(handle);
            for (int i = 0; i < count; i++) {
                out.put(metaString(i, true), metaString(i, false));
            }
            return out;
        } finally {
            shared.release();
        }
    }

    private String metaString(int index, boolean key) {
        int n = key
                ? LlamaLib.llama_model_meta_key_by_index(handle, index, (BytePointer) null, 0)
                : LlamaLib.llama_model_meta_val_str_by_index(handle, index, (BytePointer) null, 0);
        byte[] buf = new byte[Math.max(n, 0) + 1];
        if (key) {
            LlamaLib.llama_model_meta_key_by_index(handle, index, buf, buf.length);
        } else {
            LlamaLib.llama_model_meta_val_str_by_index(handle, index, buf, buf.length);
        }
        return new String(buf, 0, Math.max(n, 0), StandardCharsets.UTF_8);
    }

    /** The native model, for a context that holds a reference (taken by {@link #newContext}). */
    llama_model handle() {
        return handle;
    }

    /**
     * The smallest size of an attention head's key or value vector ({@code <arch>.attention.key_length}
     * and {@code value_length}, else width / heads): a quantized KV cache needs it to be a multiple of
     * the type's block, or ggml aborts the process while building the graph.
     */
    int attentionHeadSize() {
        String arch = header.optionalString(GeneralKeys.ARCHITECTURE).orElse("llama");
        int heads = header.optionalInt(LlmKeys.HEAD_COUNT.of(arch)).orElse(1);
        int fallback = header.optionalInt(LlmKeys.EMBEDDING_LENGTH.of(arch)).orElse(0) / Math.max(1, heads);
        return Math.min(
                header.optionalInt(LlmKeys.KEY_LENGTH.of(arch)).orElse(fallback),
                header.optionalInt(LlmKeys.VALUE_LENGTH.of(arch)).orElse(fallback));
    }

    /** The file name, for messages of contexts that outlive their owner's close. */
    String fileName() {
        return path.getFileName().toString();
    }

    /** Gives back a context's reference (the last one frees the native model). */
    void release() {
        shared.release();
    }

    /**
     * Releases the caller's reference. The native model is freed now, or when the last open
     * context closes. Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            shared.release();
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw SharedHandle.closed("LanguageModel " + path.getFileName());
        }
    }

    /** Checks this owner is open and takes a reference for one native call; release it after. */
    private void beginCall() {
        checkOpen();
        shared.acquire();
    }

    @Override
    public String toString() {
        return "LanguageModel[" + path + ", " + architecture + "]";
    }

    /** llama.cpp's load progress callback, forwarding to Java; exceptions never cross into C. */
    private static final class LoadProgress extends LlamaLib.llama_progress_callback {
        private final DoubleConsumer target;

        LoadProgress(DoubleConsumer target) {
            super();
            this.target = target;
        }

        @Override
        public boolean call(float progress, Pointer userData) {
            try {
                target.accept(progress);
            } catch (RuntimeException e) {
                LOG.warn("model load progress listener failed: {}", e.toString());
            }
            return true;
        }
    }
}
