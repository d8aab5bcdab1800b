package io.llava4j.model;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.nativeio.SharedHandle;
import io.llava4j.nativeio.bindings.LlamaLib;
import io.llava4j.nativeio.bindings.LlamaLib.llama_vocab;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * The tokenizer of a {@link LanguageModel}: text to token ids and token ids to bytes.
 *
 * <p>Detokenizing is the per-token hot path of generation, so every token's piece is rendered once
 * (on first use) into a table: the bytes of all pieces back to back in one array plus their
 * offsets, about 1.6 MB of heap for a 150,000-token vocabulary where one array per piece took 4 MB.
 * {@link #piece(int, PieceSink)} then hands a piece over as a range of that array, with no native
 * call and no allocation. Pieces are raw bytes: one UTF-8 character may span several tokens, so
 * callers that stream text buffer incomplete sequences.
 *
 * <p>Thread-safe. Valid while its native model lives: until the {@link LanguageModel} and every
 * context created from it are closed. After that every method throws {@code CLOSED}; a call racing
 * the last close either completes or throws, and never reads freed memory (each native call holds
 * a reference on the model).
 */
public final class Vocabulary {
    private static final byte[] EMPTY = new byte[0];

    /** Receives a token's piece as a range of an array the vocabulary shares. */
    @FunctionalInterface
    public interface PieceSink {
        /**
         * @param bytes shared with every other piece: read {@code bytes[offset, offset + length)}
         *     only, do not modify it or keep it
         * @param offset where the piece starts
         * @param length the piece's length in bytes, 0 for a control token
         */
        void accept(byte[] bytes, int offset, int length);
    }

    private final llama_vocab handle;
    private final SharedHandle model;
    private final int size;
    private final int bos;
    private final int eos;
    private final int eot;
    private final int newline;
    private final boolean addsBos;
    /** Built together on first use (one pass over the vocabulary): per-token reads make no native call. */
    private volatile Tables tables;

    /**
     * Every token's plain-text piece, {@code pieces[offsets[t], offsets[t + 1])}, and
     * end-of-generation flag.
     */
    private record Tables(byte[] pieces, int[] offsets, boolean[] endOfGeneration) {}

    /** Called by the model's constructor, which holds the model's first reference. */
    Vocabulary(llama_vocab handle, SharedHandle model) {
        this.handle = handle;
        this.model = model;
        this.size = LlamaLib.llama_vocab_n_tokens(handle);
        this.bos = LlamaLib.llama_vocab_bos(handle);
        this.eos = LlamaLib.llama_vocab_eos(handle);
        this.eot = LlamaLib.llama_vocab_eot(handle);
        this.newline = LlamaLib.llama_vocab_nl(handle);
        this.addsBos = LlamaLib.llama_vocab_get_add_bos(handle);
    }

    /** Number of tokens. */
    public int size() {
        checkAlive();
        return size;
    }

    /** Beginning-of-sequence token, or -1. */
    public int bos() {
        checkAlive();
        return bos;
    }

    /** End-of-sequence token, or -1. */
    public int eos() {
        checkAlive();
        return eos;
    }

    /** End-of-turn token, or -1. */
    public int eot() {
        checkAlive();
        return eot;
    }

    /** Newline token, or -1. */
    public int newline() {
        checkAlive();
        return newline;
    }

    /** Whether tokenizing with special tokens prepends BOS (the model's {@code add_bos_token}). */
    public boolean addsBos() {
        checkAlive();
        return addsBos;
    }

    /** Whether generation ends at this token (EOS, EOT and the model's other end-of-generation ids). */
    public boolean isEndOfGeneration(int token) {
        checkAlive();
        return token >= 0 && token < size && tables().endOfGeneration()[token];
    }

    /** Whether the token is a control token (rendered as nothing in plain text). */
    public boolean isControl(int token) {
        checkToken(token);
        model.acquire();
        try {
            return LlamaLib.llama_vocab_is_control(handle, token);
        } finally {
            model.release();
        }
    }

    /**
     * Tokenizes text.
     *
     * @param addSpecial add BOS/EOS as the model's tokenizer config says
     * @param parseSpecial recognise special-token text such as {@code <|im_start|>} as one token
     */
    public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        model.acquire();
        try (BytePointer in = new BytePointer(Math.max(1, utf8.length))) {
            in.put(utf8, 0, utf8.length);
            int capacity = utf8.length + 8;
            while (true) {
                try (IntPointer out = new IntPointer(capacity)) {
                    int n = LlamaLib.llama_tokenize(handle, in, utf8.length, out, capacity, addSpecial, parseSpecial);
                    if (n >= 0) {
                        int[] ids = new int[n];
                        out.get(ids);
                        return ids;
                    }
                    if (n == Integer.MIN_VALUE) {
                        throw new Llava4jException(
                                Code.INVALID_ARGUMENT, "text is too long to tokenize (" + utf8.length + " bytes)");
                    }
                    capacity = -n;
                }
            }
        } finally {
            model.release();
        }
    }

    /**
     * The bytes of a token as plain text (control tokens render as nothing), in a new array. The
     * token loop uses {@link #piece(int, PieceSink)}, which copies and allocates nothing.
     */
    public byte[] piece(int token) {
        checkToken(token);
        Tables t = tables();
        return Arrays.copyOfRange(t.pieces(), t.offsets()[token], t.offsets()[token + 1]);
    }

    /**
     * Hands the bytes of a token as plain text (control tokens render as nothing) to {@code sink},
     * on the calling thread, as a range of a shared array: no copy, no allocation, no native call
     * once the table is built.
     *
     * @throws Llava4jException {@code INVALID_ARGUMENT} if the token is outside the vocabulary,
     *     {@code CLOSED} after the model is freed
     */
    public void piece(int token, PieceSink sink) {
        checkToken(token);
        Tables t = tables();
        int from = t.offsets()[token];
        sink.accept(t.pieces(), from, t.offsets()[token + 1] - from);
    }

    /** The token's text with special tokens rendered (e.g. {@code <s>}), decoded leniently. */
    public String tokenText(int token) {
        checkToken(token);
        model.acquire();
        try {
            return new String(render(token, true), StandardCharsets.UTF_8);
        } finally {
            model.release();
        }
    }

    /** Concatenates the pieces of tokens and decodes them as UTF-8 (invalid bytes become U+FFFD). */
    public String detokenize(int[] tokens) {
        checkAlive();
        ByteArrayOutputStream out = new ByteArrayOutputStream(tokens.length * 4);
        PieceSink sink = out::write;
        for (int t : tokens) {
            piece(t, sink);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private Tables tables() {
        Tables t = tables;
        return t != null ? t : buildTables();
    }

    private synchronized Tables buildTables() {
        if (tables != null) {
            return tables;
        }
        byte[] pieces = new byte[size * 8]; // most pieces are shorter
        int[] offsets = new int[size + 1];
        boolean[] eog = new boolean[size];
        byte[] buf = new byte[64];
        int end = 0;
        model.acquire();
        try {
            for (int t = 0; t < size; t++) {
                int n = LlamaLib.llama_token_to_piece(handle, t, buf, buf.length, 0, false);
                if (n < 0) {
                    buf = new byte[-n];
                    n = LlamaLib.llama_token_to_piece(handle, t, buf, buf.length, 0, false);
                }
                n = Math.max(n, 0);
                if (n > pieces.length - end) {
                    pieces = Arrays.copyOf(pieces, Math.max(end + n, 2 * pieces.length));
                }
                System.arraycopy(buf, 0, pieces, end, n);
                end += n;
                offsets[t + 1] = end;
                eog[t] = LlamaLib.llama_vocab_is_eog(handle, t);
            }
        } finally {
            model.release();
        }
        tables = new Tables(Arrays.copyOf(pieces, end), offsets, eog);
        return tables;
    }

    /** Throws {@code CLOSED} once the native model is freed (for methods that need no native call). */
    private void checkAlive() {
        if (model.isFreed()) {
            throw SharedHandle.closed("the vocabulary's model");
        }
    }

    /** One token's piece; the caller holds a reference on the model. */
    private byte[] render(int token, boolean special) {
        byte[] buf = new byte[64];
        int n = LlamaLib.llama_token_to_piece(handle, token, buf, buf.length, 0, special);
        if (n < 0) {
            buf = new byte[-n];
            n = LlamaLib.llama_token_to_piece(handle, token, buf, buf.length, 0, special);
        }
        return n <= 0 ? EMPTY : Arrays.copyOf(buf, n);
    }

    private void checkToken(int token) {
        checkAlive();
        if (token < 0 || token >= size) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT, "token id " + token + " is outside the vocabulary (0.." + (size - 1) + ")");
        }
    }
}
