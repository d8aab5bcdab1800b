package io.llava4j.model;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.nativeio.CallGuard;
import io.llava4j.nativeio.NativeErrors;
import io.llava4j.nativeio.NativeLog;
import io.llava4j.nativeio.SharedHandle;
import io.llava4j.nativeio.bindings.LlamaLib;
import io.llava4j.nativeio.bindings.LlamaLib.llama_batch;
import io.llava4j.nativeio.bindings.LlamaLib.llama_context;
import io.llava4j.nativeio.bindings.LlamaLib.llama_context_params;
import io.llava4j.nativeio.bindings.LlamaLib.llava4j_cancel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import java.util.function.ToIntFunction;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * One sequence of evaluated tokens (the KV cache) over a {@link LanguageModel}: feed it tokens or
 * image embeddings, read the logits of the last position, truncate or clear.
 *
 * <p>Inputs longer than the batch size are split into {@code batchSize} pieces (llama.cpp aborts
 * on larger batches); positions continue from {@link #position()}. Only the last position of a
 * call produces logits.
 *
 * <p>Not thread-safe: one thread at a time (a second thread gets {@code ILLEGAL_STATE}), except
 * {@link #cancel()}, which any thread may call, also while {@link #close()} runs. {@link #close()}
 * while a decode runs on another thread throws {@link IllegalStateException}: cancel first. The
 * context keeps its model alive. After close every method but {@code close()} throws {@code CLOSED}.
 */
public final class InferenceContext implements AutoCloseable {
    private final LanguageModel model;
    private final llama_context handle;
    private final CallGuard guard = new CallGuard("InferenceContext");
    private final llava4j_cancel cancelFlag;
    /** Held while the cancel flag is written or freed, so that cancel() never writes freed memory. */
    private final Object cancelLock = new Object();

    private boolean cancelFlagFreed;
    /** Set with the native flag; checked between batches, where llama.cpp's abort callback is not asked. */
    private volatile boolean cancelRequested;

    private final BooleanSupplier cancelState = () -> cancelRequested;
    private final int contextLength;
    private final int batchSize;
    private final int embeddingWidth;
    private final int vocabSize;
    private final llama_batch tokenBatch;
    private llama_batch embeddingBatch;
    private int position;
    private boolean hasLogits;

    private long logitsAddress;
    private FloatBuffer logitsView;

    InferenceContext(LanguageModel model, ContextOptions options) {
        this.model = model;
        int n = options.contextLength();
        if (n == 0) {
            n = Math.min(model.trainedContextLength(), ContextOptions.DEFAULT_MAX_CONTEXT);
        }
        int headSize = model.attentionHeadSize();
        int block = options.kvType().blockSize();
        if (headSize % block != 0) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "a " + options.kvType().ggmlName() + " KV cache needs"
                            + " attention heads whose size is a multiple of " + block + ", and " + model.fileName()
                            + "'s are " + headSize + ": use an f16 or f32 KV cache");
        }
        llama_context_params params = LlamaLib.llama_context_default_params();
        params.n_ctx(n);
        params.n_batch(options.batchSize());
        params.n_ubatch(options.microBatchSize());
        params.n_seq_max(1);
        params.n_threads(options.threads());
        params.n_threads_batch(options.batchThreads());
        if (options.flashAttention() != null) {
            params.flash_attn_type(
                    options.flashAttention()
                            ? LlamaLib.LLAMA_FLASH_ATTN_TYPE_ENABLED
                            : LlamaLib.LLAMA_FLASH_ATTN_TYPE_DISABLED);
        }
        params.type_k(options.kvType().id());
        params.type_v(options.kvType().id());
        params.no_perf(true);
        llama_context ctx = LlamaLib.llama_init_from_model(model.handle(), params);
        if (ctx == null || ctx.isNull()) {
            throw new Llava4jException(
                    Code.LOAD_FAILED,
                    "llama.cpp could not create a context of " + n + " tokens for " + model.fileName()
                            + " (out of memory? see the llama.cpp log)");
        }
        this.handle = ctx;
        this.contextLength = (int) LlamaLib.llama_n_ctx(ctx);
        this.batchSize = (int) LlamaLib.llama_n_batch(ctx);
        this.embeddingWidth = LlamaLib.llama_model_n_embd_inp(model.handle());
        this.vocabSize = LlamaLib.llama_vocab_n_tokens(LlamaLib.llama_model_get_vocab(model.handle()));
        this.cancelFlag = LlamaLib.llava4j_cancel_new();
        LlamaLib.llava4j_cancel_attach(ctx, cancelFlag);
        this.tokenBatch = LlamaLib.llama_batch_init(batchSize, 0, 1);
        initSequenceIds(tokenBatch);
    }

    /** The model this context evaluates (its methods throw {@code CLOSED} once it is closed). */
    public LanguageModel model() {
        guard.checkOpen();
        return model;
    }

    /** KV cache capacity in tokens. */
    public int contextLength() {
        guard.checkOpen();
        return contextLength;
    }

    /** Largest number of tokens passed to one {@code llama_decode} call. */
    public int batchSize() {
        guard.checkOpen();
        return batchSize;
    }

    /** Number of positions evaluated so far (the next token's position). */
    public int position() {
        guard.checkOpen();
        return position;
    }

    /**
     * Evaluates tokens at the next positions; the logits of the last one are then readable.
     *
     * @throws Llava4jException {@code CONTEXT_FULL} if they do not fit, {@code CANCELLED} if
     *     {@link #cancel()} was called (the batches evaluated before stay in the cache)
     */
    public void decode(int[] tokens, int offset, int count) {
        decode(tokens, offset, count, null);
    }

    /**
     * As {@link #decode(int[], int, int)}, telling {@code progress} the positions done after each
     * batch.
     *
     * @param progress told the running count (of {@code count}), or null
     */
    public void decode(int[] tokens, int offset, int count, IntConsumer progress) {
        checkRange(tokens.length, offset, count);
        guard.enter();
        try {
            startCall();
            checkFits(count);
            for (int i = offset; i < offset + count; i++) {
                checkToken(tokens[i]);
            }
            for (int done = 0; done < count; ) {
                int n = Math.min(batchSize, count - done);
                tokenBatch.n_tokens(n);
                tokenBatch.token().put(tokens, offset + done, n);
                fillPositions(tokenBatch, n, done + n == count);
                run(tokenBatch, n, "decoding " + count + " tokens");
                done += n;
                if (progress != null) {
                    progress.accept(done);
                }
            }
        } finally {
            guard.exit();
        }
    }

    /** Evaluates one token (the generation step); allocates nothing. */
    public void decode(int token) {
        guard.enter();
        try {
            startCall();
            checkToken(token);
            checkFits(1);
            tokenBatch.n_tokens(1);
            tokenBatch.token().put(0, token);
            fillPositions(tokenBatch, 1, true);
            run(tokenBatch, 1, "decoding a token");
        } finally {
            guard.exit();
        }
    }

    /**
     * Evaluates {@code count} input embeddings (e.g. an encoded image), each {@link
     * LanguageModel#embeddingWidth()} floats, row after row in {@code embeddings} from {@code offset}.
     */
    public void decodeEmbeddings(float[] embeddings, int offset, int count) {
        decodeEmbeddings(embeddings, offset, count, null);
    }

    /**
     * As {@link #decodeEmbeddings(float[], int, int)}, telling {@code progress} the positions done
     * after each batch.
     *
     * @param progress told the running count (of {@code count}), or null
     */
    public void decodeEmbeddings(float[] embeddings, int offset, int count, IntConsumer progress) {
        if (count < 0 || offset < 0 || (long) offset + (long) count * embeddingWidth > embeddings.length) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    count + " embeddings of width " + embeddingWidth + " from offset " + offset
                            + " do not fit an array of " + embeddings.length + " floats");
        }
        guard.enter();
        try {
            startCall();
            checkFits(count);
            if (embeddingBatch == null) {
                embeddingBatch = LlamaLib.llama_batch_init(batchSize, embeddingWidth, 1);
                initSequenceIds(embeddingBatch);
            }
            for (int done = 0; done < count; ) {
                int n = Math.min(batchSize, count - done);
                embeddingBatch.n_tokens(n);
                embeddingBatch.embd().put(embeddings, offset + done * embeddingWidth, n * embeddingWidth);
                fillPositions(embeddingBatch, n, done + n == count);
                run(embeddingBatch, n, "decoding " + count + " embeddings");
                done += n;
                if (progress != null) {
                    progress.accept(done);
                }
            }
        } finally {
            guard.exit();
        }
    }

    /**
     * Calls {@code reader} with the logits of the last evaluated position, in place: a view of
     * llama.cpp's buffer, {@link Vocabulary#size()} floats from position 0, valid only during the
     * call (it must not be kept). No copy and no allocation: this is how generation samples.
     *
     * @return what {@code reader} returns (e.g. the sampled token)
     * @throws Llava4jException {@code ILLEGAL_STATE} if nothing was decoded since the last truncate
     */
    public int readLogits(ToIntFunction<FloatBuffer> reader) {
        guard.enter();
        try {
            return reader.applyAsInt(logitsView());
        } finally {
            guard.exit();
        }
    }

    /**
     * A copy of the logits of the last evaluated position ({@link Vocabulary#size()} floats), for
     * inspection; {@link #readLogits} reads them in place.
     *
     * @throws Llava4jException {@code ILLEGAL_STATE} if nothing was decoded since the last truncate
     */
    public float[] logits() {
        guard.enter();
        try {
            float[] out = new float[vocabSize];
            logitsView().get(out);
            return out;
        } finally {
            guard.exit();
        }
    }

    /** The view of llama.cpp's logits at position 0; the caller is inside the guard. */
    private FloatBuffer logitsView() {
        long address = hasLogits ? LlamaLib.llava4j_logits_address(handle, -1) : 0;
        if (address == 0) {
            throw new Llava4jException(Code.ILLEGAL_STATE, "no logits: decode something first");
        }
        if (address != logitsAddress) {
            logitsView = new FloatPointer(new RawAddress(address))
                    .capacity(vocabSize)
                    .asBuffer();
            logitsAddress = address;
        }
        logitsView.clear();
        return logitsView;
    }

    /** Drops every position from {@code newPosition} on; the cache then holds the shared prefix. */
    public void truncate(int newPosition) {
        guard.enter();
        try {
            if (newPosition < 0 || newPosition > position) {
                throw new Llava4jException(
                        Code.INVALID_ARGUMENT,
                        "cannot truncate to " + newPosition + ": the context holds " + position + " positions");
            }
            if (newPosition == 0) {
                LlamaLib.llama_memory_clear(LlamaLib.llama_get_memory(handle), true);
            } else if (!LlamaLib.llama_memory_seq_rm(LlamaLib.llama_get_memory(handle), 0, newPosition, -1)) {
                throw new Llava4jException(Code.NATIVE, "llama.cpp could not truncate the KV cache to " + newPosition);
            }
            position = newPosition;
            hasLogits = false;
        } finally {
            guard.exit();
        }
    }

    /**
     * Writes the KV cache (llama.cpp's sequence state: positions, keys and values) to {@code out};
     * {@link #restoreState} on a context of the same model reads it back.
     *
     * @return the bytes written
     * @throws Llava4jException {@code IO} if writing fails
     */
    public long saveState(WritableByteChannel out) {
        guard.enter();
        try {
            long size = LlamaLib.llama_state_seq_get_size(handle, 0);
            try (BytePointer buf = new BytePointer(size)) {
                long got = LlamaLib.llama_state_seq_get_data(handle, buf, size, 0);
                if (got != size) {
                    throw new Llava4jException(Code.NATIVE, "llama.cpp wrote " + got + " of " + size + " state bytes");
                }
                for (long off = 0; off < size; ) {
                    long n = Math.min(size - off, 1 << 24);
                    ByteBuffer chunk = buf.position(off).limit(off + n).asBuffer();
                    while (chunk.hasRemaining()) {
                        out.write(chunk);
                    }
                    off += n;
                }
                return size;
            } catch (IOException e) {
                throw new Llava4jException(Code.IO, "cannot write the KV state: " + e.getMessage(), e);
            }
        } finally {
            guard.exit();
        }
    }

    /**
     * Replaces the KV cache with a state written by {@link #saveState}; the context then holds
     * {@code positions} positions, without logits (evaluate a token to get them).
     *
     * @param size bytes of state to read from {@code in}
     * @param positions the positions the state holds (checked against it)
     * @throws Llava4jException {@code INVALID_FILE} if llama.cpp refuses the state (another model,
     *     a larger context than this one) or it does not hold {@code positions}; {@code IO} on a
     *     read error. The cache is empty after a failure.
     */
    public void restoreState(ReadableByteChannel in, long size, int positions) {
        guard.enter();
        try (BytePointer buf = new BytePointer(size)) {
            for (long off = 0; off < size; ) {
                long n = Math.min(size - off, 1 << 24);
                ByteBuffer chunk = buf.position(off).limit(off + n).asBuffer();
                while (chunk.hasRemaining()) {
                    if (in.read(chunk) < 0) {
                        throw new Llava4jException(
                                Code.INVALID_FILE,
                                "the KV state ends after " + (off + n - chunk.remaining()) + " of " + size + " bytes");
                    }
                }
                off += n;
            }
            buf.position(0).limit(size);
            LlamaLib.llama_memory_clear(LlamaLib.llama_get_memory(handle), true);
            position = 0;
            hasLogits = false;
            if (LlamaLib.llama_state_seq_set_data(handle, buf, size, 0) == 0) {
                throw new Llava4jException(
                        Code.INVALID_FILE,
                        "llama.cpp refused the saved KV state (made by another"
                                + " model, or larger than this context of " + contextLength + ")");
            }
            int held = LlamaLib.llama_memory_seq_pos_max(LlamaLib.llama_get_memory(handle), 0) + 1;
            if (held != positions) {
                LlamaLib.llama_memory_clear(LlamaLib.llama_get_memory(handle), true);
                throw new Llava4jException(
                        Code.INVALID_FILE,
                        "the saved KV state holds " + held + " positions, the conversation " + positions);
            }
            position = held;
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, "cannot read the KV state: " + e.getMessage(), e);
        } finally {
            guard.exit();
        }
    }

    /**
     * What llama.cpp allocated for this context and its model, as it measures it: weights, KV cache
     * and compute buffers, in host memory and on devices.
     */
    public MemoryUse memoryUse() {
        guard.enter();
        try (LongPointer hm = new LongPointer(1);
                LongPointer hc = new LongPointer(1);
                LongPointer hk = new LongPointer(1);
                LongPointer dm = new LongPointer(1);
                LongPointer dc = new LongPointer(1);
                LongPointer dk = new LongPointer(1)) {
            NativeErrors.checkShim(LlamaLib.llava4j_context_memory(handle, hm, hc, hk, dm, dc, dk), "measuring memory");
            return new MemoryUse(hm.get(), hc.get(), hk.get(), dm.get(), dc.get(), dk.get());
        } finally {
            guard.exit();
        }
    }

    /**
     * Memory llama.cpp allocated for a context, in bytes.
     *
     * @param hostWeights model weights in host memory (memory-mapped file pages included)
     * @param hostKv KV cache in host memory
     * @param hostCompute compute buffers in host memory
     * @param deviceWeights weights on GPUs and RPC servers
     * @param deviceKv KV cache on devices
     * @param deviceCompute compute buffers on devices
     */
    public record MemoryUse(
            long hostWeights, long hostKv, long hostCompute, long deviceWeights, long deviceKv, long deviceCompute) {}

    /** Empties the KV cache. */
    public void clear() {
        truncate(0);
    }

    /**
     * Asks a running decode to stop; it ends with a {@code CANCELLED} exception within one graph
     * evaluation. Safe from any thread, also while another closes the context; the request is
     * cleared when the next call starts.
     *
     * @throws Llava4jException {@code CLOSED} if the context is closed
     */
    public void cancel() {
        synchronized (cancelLock) {
            if (cancelFlagFreed) {
                throw SharedHandle.closed("InferenceContext");
            }
            cancelRequested = true;
            LlamaLib.llava4j_cancel_set(cancelFlag, 1);
        }
    }

    /** Frees the context (idempotent) and releases the model. */
    @Override
    public void close() {
        if (!guard.close()) {
            return;
        }
        LlamaLib.llama_batch_free(tokenBatch);
        if (embeddingBatch != null) {
            LlamaLib.llama_batch_free(embeddingBatch);
        }
        LlamaLib.llama_free(handle);
        synchronized (cancelLock) {
            LlamaLib.llava4j_cancel_free(cancelFlag);
            cancelFlagFreed = true;
        }
        logitsView = null;
        model.release();
    }

    /** Clears a cancel request left from before this call; every public decode starts with it. */
    private void startCall() {
        cancelRequested = false;
        NativeLog.setCancelState(cancelState);
        LlamaLib.llava4j_cancel_set(cancelFlag, 0);
    }

    private void run(llama_batch batch, int n, String what) {
        if (cancelRequested) {
            throw new Llava4jException(Code.CANCELLED, what + ": cancelled");
        }
        hasLogits = false;
        int status = LlamaLib.llama_decode(handle, batch);
        if (status != 0) {
            // Whatever llama.cpp kept (earlier batches, or a partial one) defines the position.
            position = LlamaLib.llama_memory_seq_pos_max(LlamaLib.llama_get_memory(handle), 0) + 1;
            NativeErrors.checkDecode(status, what);
        }
        position += n;
        hasLogits = batch.logits().get(n - 1) != 0;
    }

    private void fillPositions(llama_batch batch, int n, boolean logitsForLast) {
        IntPointer pos = batch.pos();
        for (int i = 0; i < n; i++) {
            pos.put(i, position + i);
            batch.logits().put(i, (byte) 0);
        }
        if (logitsForLast) {
            batch.logits().put(n - 1, (byte) 1);
        }
    }

    private void initSequenceIds(llama_batch batch) {
        for (int i = 0; i < batchSize; i++) {
            batch.n_seq_id().put(i, 1);
            new IntPointer(batch.seq_id().get(i)).put(0, 0);
        }
    }

    private void checkToken(int token) {
        if (token < 0 || token >= vocabSize) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "token id " + token + " is outside the vocabulary (0.." + (vocabSize - 1) + ")");
        }
    }

    private void checkFits(int count) {
        if ((long) position + count > contextLength) {
            throw new Llava4jException(
                    Code.CONTEXT_FULL,
                    count + " more positions do not fit: the context holds " + position + " of " + contextLength
                            + " (use a larger context)");
        }
    }

    private static void checkRange(int length, int offset, int count) {
        if (offset < 0 || count < 0 || offset + count > length) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT, "range " + offset + "+" + count + " is outside an array of " + length);
        }
    }

    /** A pointer at a raw address, to view llama.cpp's logits buffer. */
    private static final class RawAddress extends Pointer {
        RawAddress(long address) {
            this.address = address;
        }
    }
}
