package io.llava4j.model;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.nativeio.CallGuard;
import io.llava4j.nativeio.ComputeThread;
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
 * A llama.cpp context over a {@link LanguageModel}: a KV cache of one or more {@link KvSequence
 * sequences}. Feed a sequence tokens or image embeddings, read the logits of its last position,
 * truncate or clear it; {@link #decode(Step)} evaluates tokens of several sequences in one batch.
 *
 * <p>A context of one sequence (the usual case) is used through its own methods, which act on
 * {@link #sequence(int) sequence 0}. With several, each sequence has {@link #contextLength()}
 * positions of its own (llama.cpp's non-unified cache: one stream per sequence).
 *
 * <p>Inputs longer than the batch size are split into {@code batchSize} pieces (llama.cpp aborts
 * on larger batches); positions continue from the sequence's position. Only the last position of a
 * call produces logits, and they stay readable until the next decode of any sequence of the context.
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
    private final KvSequence[] sequences;
    /** The {@code seq_id} slots of the two batches, wrapped once (no allocation per token). */
    private IntPointer[] tokenSeqIds;

    private IntPointer[] embeddingSeqIds;
    /** Counts {@code llama_decode} calls: a sequence's logits are readable while this is unchanged. */
    private long decodes;

    private long logitsAddress;
    private FloatBuffer logitsView;
    /** The batch being decoded, and the task that decodes it: made once, so a decode allocates nothing. */
    private llama_batch computing;

    private final ComputeThread.Task decodeTask = this::decodeComputing;

    InferenceContext(LanguageModel model, ContextOptions options, int sequenceCount) {
        this.model = model;
        if (sequenceCount < 1 || sequenceCount > MAX_SEQUENCES) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "a context holds 1 to " + MAX_SEQUENCES + " sequences, not " + sequenceCount);
        }
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
        params.n_ctx((long) n * sequenceCount > Integer.MAX_VALUE ? Integer.MAX_VALUE : n * sequenceCount);
        params.n_batch(options.batchSize());
        params.n_ubatch(options.microBatchSize());
        params.n_seq_max(sequenceCount);
        params.kv_unified(false);
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
        this.contextLength = (int) LlamaLib.llama_n_ctx_seq(ctx);
        this.batchSize = (int) LlamaLib.llama_n_batch(ctx);
        this.embeddingWidth = LlamaLib.llama_model_n_embd_inp(model.handle());
        this.vocabSize = LlamaLib.llama_vocab_n_tokens(LlamaLib.llama_model_get_vocab(model.handle()));
        this.cancelFlag = LlamaLib.llava4j_cancel_new();
        LlamaLib.llava4j_cancel_attach(ctx, cancelFlag);
        this.tokenBatch = LlamaLib.llama_batch_init(batchSize, 0, 1);
        initSequenceIds(tokenBatch);
        this.sequences = new KvSequence[sequenceCount];
        for (int i = 0; i < sequenceCount; i++) {
            sequences[i] = new KvSequence(this, i);
        }
    }

    /** The most sequences one context holds (llama.cpp's {@code LLAMA_MAX_SEQ}). */
    public static final int MAX_SEQUENCES = 256;

    /** Number of sequences. */
    public int sequenceCount() {
        guard.checkOpen();
        return sequences.length;
    }

    /** Sequence {@code index} (0 to {@link #sequenceCount()} - 1). */
    public KvSequence sequence(int index) {
        guard.checkOpen();
        if (index < 0 || index >= sequences.length) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT, "no sequence " + index + " (the context has " + sequences.length + ")");
        }
        return sequences[index];
    }

    /** A reusable batch for {@link #decode(Step)}, of up to {@link #batchSize()} tokens. */
    public Step newStep() {
        guard.checkOpen();
        return new Step(batchSize);
    }

    /** The model this context evaluates (its methods throw {@code CLOSED} once it is closed). */
    public LanguageModel model() {
        guard.checkOpen();
        return model;
    }

    /** KV cache capacity of each sequence, in positions. */
    public int contextLength() {
        guard.checkOpen();
        return contextLength;
    }

    /** Largest number of tokens passed to one {@code llama_decode} call. */
    public int batchSize() {
        guard.checkOpen();
        return batchSize;
    }

    /** Positions sequence 0 holds (the next token's position). */
    public int position() {
        guard.checkOpen();
        return sequences[0].position;
    }

    /**
     * Evaluates tokens at the next positions of sequence 0; the logits of the last one are then
     * readable.
     *
     * @throws Llava4jException {@code CONTEXT_FULL} if they do not fit, {@code CANCELLED} if
     *     {@link #cancel()} was called (the batches evaluated before stay in the cache)
     */
    public void decode(int[] tokens, int offset, int count) {
        decode(sequences[0], tokens, offset, count, null);
    }

    /**
     * As {@link #decode(int[], int, int)}, telling {@code progress} the positions done after each
     * batch.
     *
     * @param progress told the running count (of {@code count}), or null
     */
    public void decode(int[] tokens, int offset, int count, IntConsumer progress) {
        decode(sequences[0], tokens, offset, count, progress);
    }

    /** Evaluates one token at the next position of sequence 0 (the generation step); allocates nothing. */
    public void decode(int token) {
        decode(sequences[0], token);
    }

    /**
     * Evaluates {@code count} input embeddings (e.g. an encoded image) into sequence 0, each {@link
     * LanguageModel#embeddingWidth()} floats, row after row in {@code embeddings} from {@code offset}.
     */
    public void decodeEmbeddings(float[] embeddings, int offset, int count) {
        decodeEmbeddings(sequences[0], embeddings, offset, count, null);
    }

    /**
     * As {@link #decodeEmbeddings(float[], int, int)}, telling {@code progress} the positions done
     * after each batch.
     *
     * @param progress told the running count (of {@code count}), or null
     */
    public void decodeEmbeddings(float[] embeddings, int offset, int count, IntConsumer progress) {
        decodeEmbeddings(sequences[0], embeddings, offset, count, progress);
    }

    /**
     * Calls {@code reader} with the logits of the last evaluated position of sequence 0, in place:
     * a view of llama.cpp's buffer, {@link Vocabulary#size()} floats from position 0, valid only
     * during the call (it must not be kept). No copy and no allocation: this is how generation
     * samples.
     *
     * @return what {@code reader} returns (e.g. the sampled token)
     * @throws Llava4jException {@code ILLEGAL_STATE} if sequence 0 has no logits (nothing decoded
     *     since its last truncate, or another sequence was decoded since)
     */
    public int readLogits(ToIntFunction<FloatBuffer> reader) {
        return readLogits(sequences[0], reader);
    }

    /**
     * A copy of the logits of the last evaluated position of sequence 0 ({@link Vocabulary#size()}
     * floats), for inspection; {@link #readLogits} reads them in place.
     *
     * @throws Llava4jException {@code ILLEGAL_STATE} if sequence 0 has no logits
     */
    public float[] logits() {
        return logits(sequences[0]);
    }

    /** Drops every position of sequence 0 from {@code newPosition} on. */
    public void truncate(int newPosition) {
        truncate(sequences[0], newPosition);
    }

    /**
     * Writes sequence 0's KV state (llama.cpp's sequence state: positions, keys and values) to
     * {@code out}; {@link #restoreState} on a context of the same model and the same number of
     * sequences reads it back (into any of its sequences).
     *
     * @return the bytes written
     * @throws Llava4jException {@code IO} if writing fails
     */
    public long saveState(WritableByteChannel out) {
        return saveState(sequences[0], out);
    }

    /**
     * Replaces sequence 0's KV state with one written by {@link #saveState}; it then holds {@code
     * positions} positions, without logits (evaluate a token to get them).
     *
     * @param size bytes of state to read from {@code in}
     * @param positions the positions the state holds (checked against it)
     * @throws Llava4jException {@code INVALID_FILE} if llama.cpp refuses the state (another model,
     *     a larger context than this one) or it does not hold {@code positions}; {@code IO} on a
     *     read error. The sequence is empty after a failure.
     */
    public void restoreState(ReadableByteChannel in, long size, int positions) {
        restoreState(sequences[0], in, size, positions);
    }

    /** Empties sequence 0. */
    public void clear() {
        truncate(0);
    }

    /**
     * Evaluates the tokens of {@code step} (of one or more sequences of this context) in one
     * {@code llama_decode} call: each token goes to the next position of its sequence, in the
     * order added. The logits of each token added with {@code logits} are then readable through
     * its sequence (for a sequence with several such tokens, the last one's). The step is emptied
     * afterwards.
     *
     * @throws Llava4jException {@code INVALID_ARGUMENT} if a token belongs to another context or
     *     is outside the vocabulary, {@code CONTEXT_FULL} if a sequence has no room, {@code
     *     CANCELLED}; after a failure each sequence holds what llama.cpp kept
     */
    public void decode(Step step) {
        guard.enter();
        try {
            startCall();
            int n = step.size;
            if (n == 0) {
                return;
            }
            // check everything before llama.cpp sees the batch: it aborts on some bad input
            for (int i = 0; i < n; i++) {
                KvSequence seq = step.sequences[i];
                if (seq.context != this) {
                    throw new Llava4jException(Code.INVALID_ARGUMENT, "a step holds a sequence of another context");
                }
                checkToken(step.tokens[i]);
                seq.pending = 0;
            }
            for (int i = 0; i < n; i++) {
                KvSequence seq = step.sequences[i];
                checkFits(seq, ++seq.pending);
            }
            step.sortBySequence();
            IntPointer pos = tokenBatch.pos();
            tokenBatch.n_tokens(n);
            tokenBatch.token().put(step.tokens, 0, n);
            // backwards: a sequence's last token takes its highest position, and pending ends at 0
            for (int i = n - 1; i >= 0; i--) {
                KvSequence seq = step.sequences[i];
                seq.logitsIndex = -1;
                pos.put(i, seq.position + --seq.pending);
                tokenBatch.logits().put(i, (byte) (step.logits[i] ? 1 : 0));
                seqIdOf(tokenBatch, i).put(0, seq.id);
            }
            if (cancelRequested) {
                throw new Llava4jException(Code.CANCELLED, "decoding a step: cancelled");
            }
            int status = compute(tokenBatch);
            decodes++;
            if (status != 0) {
                for (int i = 0; i < n; i++) {
                    step.sequences[i].position = keptPositions(step.sequences[i]);
                }
                NativeErrors.checkDecode(status, "decoding a step of " + n + " tokens");
            }
            for (int i = 0; i < n; i++) {
                KvSequence seq = step.sequences[i];
                seq.position++;
                if (step.logits[i]) {
                    seq.logitsIndex = i;
                    seq.logitsDecode = decodes;
                }
            }
        } finally {
            for (int i = 0; i < step.size; i++) {
                step.sequences[i].pending = 0;
            }
            step.size = 0;
            guard.exit();
        }
    }

    /**
     * Tokens for one {@link #decode(Step)} call, of any sequences of one context; reusable (emptied
     * by each decode). Adding allocates nothing. Not thread-safe.
     */
    public static final class Step {
        private final KvSequence[] sequences;
        private final int[] tokens;
        private final boolean[] logits;
        private int size;

        private Step(int capacity) {
            sequences = new KvSequence[capacity];
            tokens = new int[capacity];
            logits = new boolean[capacity];
        }

        /**
         * Adds {@code token} at the next position of {@code sequence} (after the ones added before
         * for it).
         *
         * @param logits whether its logits are wanted (a sampled token's successor, the last token
         *     of a prompt)
         * @return false if the step is full (nothing added)
         */
        public boolean add(KvSequence sequence, int token, boolean logits) {
            if (size == tokens.length) {
                return false;
            }
            sequences[size] = sequence;
            tokens[size] = token;
            this.logits[size] = logits;
            size++;
            return true;
        }

        /** Tokens added. */
        public int size() {
            return size;
        }

        /** Tokens it can hold (the context's batch size). */
        public int capacity() {
            return tokens.length;
        }

        /** Empties it. */
        public void clear() {
            size = 0;
        }

        /**
         * Orders the tokens by sequence id, each sequence's in the order added (a stable insertion
         * sort: no allocation, linear when the tokens of each sequence were added together). The
         * non-unified cache gives each sequence a stream, and llama.cpp evaluates in one micro-batch
         * only sequences whose ids follow each other in the batch ({@code
         * llama_batch_allocr::split_equal} with {@code sequential}): four sequences added 2, 0, 3, 1
         * would take two passes over the weights, 3, 2, 1, 0 four.
         */
        void sortBySequence() {
            for (int i = 1; i < size; i++) {
                KvSequence seq = sequences[i];
                if (sequences[i - 1].id <= seq.id) {
                    continue;
                }
                int token = tokens[i];
                boolean wanted = logits[i];
                int j = i - 1;
                while (j >= 0 && sequences[j].id > seq.id) {
                    sequences[j + 1] = sequences[j];
                    tokens[j + 1] = tokens[j];
                    logits[j + 1] = logits[j];
                    j--;
                }
                sequences[j + 1] = seq;
                tokens[j + 1] = token;
                logits[j + 1] = wanted;
            }
        }
    }

    /** The sequence id of token {@code i} of the last batch handed to llama.cpp (for tests). */
    int lastBatchSequence(int i) {
        return seqIdOf(tokenBatch, i).get(0);
    }

    /** The position of token {@code i} of the last batch handed to llama.cpp (for tests). */
    int lastBatchPosition(int i) {
        return tokenBatch.pos().get(i);
    }

    /** Throws {@code CLOSED} after close. */
    void checkOpen() {
        guard.checkOpen();
    }

    // ---- the operations of one sequence (KvSequence delegates here; one thread at a time) ----

    void decode(KvSequence seq, int[] tokens, int offset, int count, IntConsumer progress) {
        checkRange(tokens.length, offset, count);
        guard.enter();
        try {
            startCall();
            checkFits(seq, count);
            for (int i = offset; i < offset + count; i++) {
                checkToken(tokens[i]);
            }
            for (int done = 0; done < count; ) {
                int n = Math.min(batchSize, count - done);
                tokenBatch.n_tokens(n);
                tokenBatch.token().put(tokens, offset + done, n);
                fillPositions(tokenBatch, seq, n, done + n == count);
                run(tokenBatch, seq, n, "decoding " + count + " tokens");
                done += n;
                if (progress != null) {
                    progress.accept(done);
                }
            }
        } finally {
            guard.exit();
        }
    }

    void decode(KvSequence seq, int token) {
        guard.enter();
        try {
            startCall();
            checkToken(token);
            checkFits(seq, 1);
            tokenBatch.n_tokens(1);
            tokenBatch.token().put(0, token);
            fillPositions(tokenBatch, seq, 1, true);
            run(tokenBatch, seq, 1, "decoding a token");
        } finally {
            guard.exit();
        }
    }

    void decodeEmbeddings(KvSequence seq, float[] embeddings, int offset, int count, IntConsumer progress) {
        if (count < 0 || offset < 0 || (long) offset + (long) count * embeddingWidth > embeddings.length) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    count + " embeddings of width " + embeddingWidth + " from offset " + offset
                            + " do not fit an array of " + embeddings.length + " floats");
        }
        guard.enter();
        try {
            startCall();
            checkFits(seq, count);
            if (embeddingBatch == null) {
                embeddingBatch = LlamaLib.llama_batch_init(batchSize, embeddingWidth, 1);
                initSequenceIds(embeddingBatch);
            }
            for (int done = 0; done < count; ) {
                int n = Math.min(batchSize, count - done);
                embeddingBatch.n_tokens(n);
                embeddingBatch.embd().put(embeddings, offset + done * embeddingWidth, n * embeddingWidth);
                fillPositions(embeddingBatch, seq, n, done + n == count);
                run(embeddingBatch, seq, n, "decoding " + count + " embeddings");
                done += n;
                if (progress != null) {
                    progress.accept(done);
                }
            }
        } finally {
            guard.exit();
        }
    }

    int readLogits(KvSequence seq, ToIntFunction<FloatBuffer> reader) {
        guard.enter();
        try {
            return reader.applyAsInt(logitsView(seq));
        } finally {
            guard.exit();
        }
    }

    float[] logits(KvSequence seq) {
        guard.enter();
        try {
            float[] out = new float[vocabSize];
            logitsView(seq).get(out);
            return out;
        } finally {
            guard.exit();
        }
    }

    /** The view of llama.cpp's logits of {@code seq}'s last position; the caller is inside the guard. */
    private FloatBuffer logitsView(KvSequence seq) {
        long address = seq.logitsIndex >= 0 && seq.logitsDecode == decodes
                ? LlamaLib.llava4j_logits_address(handle, seq.logitsIndex)
                : 0;
        if (address == 0) {
            throw new Llava4jException(
                    Code.ILLEGAL_STATE,
                    "no logits for sequence " + seq.id + ": decode something first (another sequence's"
                            + " decode replaces them)");
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

    void truncate(KvSequence seq, int newPosition) {
        guard.enter();
        try {
            if (newPosition < 0 || newPosition > seq.position) {
                throw new Llava4jException(
                        Code.INVALID_ARGUMENT,
                        "cannot truncate to " + newPosition + ": the sequence holds " + seq.position + " positions");
            }
            if (newPosition == 0 && sequences.length == 1) {
                LlamaLib.llama_memory_clear(LlamaLib.llama_get_memory(handle), true);
            } else if (!LlamaLib.llama_memory_seq_rm(LlamaLib.llama_get_memory(handle), seq.id, newPosition, -1)) {
                throw new Llava4jException(Code.NATIVE, "llama.cpp could not truncate the KV cache to " + newPosition);
            }
            seq.position = newPosition;
            seq.logitsIndex = -1;
        } finally {
            guard.exit();
        }
    }

    long saveState(KvSequence seq, WritableByteChannel out) {
        guard.enter();
        try {
            long size = LlamaLib.llama_state_seq_get_size(handle, seq.id);
            try (BytePointer buf = new BytePointer(size)) {
                long got = LlamaLib.llama_state_seq_get_data(handle, buf, size, seq.id);
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

    void restoreState(KvSequence seq, ReadableByteChannel in, long size, int positions) {
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
            forget(seq);
            if (LlamaLib.llama_state_seq_set_data(handle, buf, size, seq.id) == 0) {
                forget(seq);
                throw new Llava4jException(
                        Code.INVALID_FILE,
                        "llama.cpp refused the saved KV state (made by another model, by a context of"
                                + " another number of sequences, or larger than this context of " + contextLength
                                + ")");
            }
            int held = keptPositions(seq);
            if (held != positions) {
                forget(seq);
                throw new Llava4jException(
                        Code.INVALID_FILE,
                        "the saved KV state holds " + held + " positions, the conversation " + positions);
            }
            seq.position = held;
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, "cannot read the KV state: " + e.getMessage(), e);
        } finally {
            guard.exit();
        }
    }

    /** Empties {@code seq} in llama.cpp and here; the caller is inside the guard. */
    private void forget(KvSequence seq) {
        LlamaLib.llama_memory_seq_rm(LlamaLib.llama_get_memory(handle), seq.id, 0, -1);
        seq.position = 0;
        seq.logitsIndex = -1;
    }

    /** Positions llama.cpp holds for {@code seq}. */
    private int keptPositions(KvSequence seq) {
        return LlamaLib.llama_memory_seq_pos_max(LlamaLib.llama_get_memory(handle), seq.id) + 1;
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
        LlamaLib.llava4j_cancel_set(cancelFlag, 0);
    }

    /** {@code llama_decode} of {@code batch}, on the process's compute thread (see {@link ComputeThread}). */
    private int compute(llama_batch batch) {
        computing = batch;
        try {
            return ComputeThread.run(decodeTask);
        } finally {
            computing = null;
        }
    }

    /** Runs on the compute thread: its log lines are the ones a cancel makes expected. */
    private int decodeComputing() {
        NativeLog.setCancelState(cancelState);
        try {
            return LlamaLib.llama_decode(handle, computing);
        } finally {
            NativeLog.setCancelState(null);
        }
    }

    private void run(llama_batch batch, KvSequence seq, int n, String what) {
        if (cancelRequested) {
            throw new Llava4jException(Code.CANCELLED, what + ": cancelled");
        }
        seq.logitsIndex = -1;
        int status = compute(batch);
        decodes++;
        if (status != 0) {
            // Whatever llama.cpp kept (earlier batches, or a partial one) defines the position.
            seq.position = keptPositions(seq);
            NativeErrors.checkDecode(status, what);
        }
        seq.position += n;
        if (batch.logits().get(n - 1) != 0) {
            seq.logitsIndex = n - 1;
            seq.logitsDecode = decodes;
        }
    }

    private void fillPositions(llama_batch batch, KvSequence seq, int n, boolean logitsForLast) {
        IntPointer pos = batch.pos();
        for (int i = 0; i < n; i++) {
            pos.put(i, seq.position + i);
            batch.logits().put(i, (byte) 0);
            seqIdOf(batch, i).put(0, seq.id);
        }
        if (logitsForLast) {
            batch.logits().put(n - 1, (byte) 1);
        }
    }

    private void initSequenceIds(llama_batch batch) {
        if (batch == tokenBatch) {
            tokenSeqIds = new IntPointer[batchSize];
        } else {
            embeddingSeqIds = new IntPointer[batchSize];
        }
        for (int i = 0; i < batchSize; i++) {
            batch.n_seq_id().put(i, 1);
            seqIdOf(batch, i).put(0, 0);
        }
    }

    /** The sequence-id slot of token {@code i} of {@code batch}, wrapped once per batch and index. */
    private IntPointer seqIdOf(llama_batch batch, int i) {
        IntPointer[] cache = batch == tokenBatch ? tokenSeqIds : embeddingSeqIds;
        IntPointer p = cache[i];
        if (p == null) {
            p = new IntPointer(batch.seq_id().get(i));
            cache[i] = p;
        }
        return p;
    }

    private void checkToken(int token) {
        if (token < 0 || token >= vocabSize) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "token id " + token + " is outside the vocabulary (0.." + (vocabSize - 1) + ")");
        }
    }

    private void checkFits(KvSequence seq, int count) {
        if ((long) seq.position + count > contextLength) {
            throw new Llava4jException(
                    Code.CONTEXT_FULL,
                    count + " more positions do not fit: the context holds " + seq.position + " of " + contextLength
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
