package io.llava4j.model;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
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
 * (on first use) into a table; {@link #piece(int)} is then an array read with no native call and
 * no allocation. Pieces are raw bytes: one UTF-8 character may span several tokens, so callers that
 * stream text buffer incomplete sequences.
 *
 * <p>Thread-safe. Valid while its model is open.
 */
public final class Vocabulary {
    private static final byte[] EMPTY = new byte[0];

    private final llama_vocab handle;
    private final int size;
    private volatile byte[][] pieces;

    Vocabulary(llama_vocab handle) {
        this.handle = handle;
        this.size = LlamaLib.llama_vocab_n_tokens(handle);
    }

    /** Number of tokens. */
    public int size() {
        return size;
    }

    /** Beginning-of-sequence token, or -1. */
    public int bos() {
        return LlamaLib.llama_vocab_bos(handle);
    }

    /** End-of-sequence token, or -1. */
    public int eos() {
        return LlamaLib.llama_vocab_eos(handle);
    }

    /** End-of-turn token, or -1. */
    public int eot() {
        return LlamaLib.llama_vocab_eot(handle);
    }

    /** Newline token, or -1. */
    public int newline() {
        return LlamaLib.llama_vocab_nl(handle);
    }

    /** Whether tokenizing with special tokens prepends BOS (the model's {@code add_bos_token}). */
    public boolean addsBos() {
        return LlamaLib.llama_vocab_get_add_bos(handle);
    }

    /** Whether generation ends at this token (EOS, EOT and the model's other end-of-generation ids). */
    public boolean isEndOfGeneration(int token) {
        return token >= 0 && token < size && LlamaLib.llama_vocab_is_eog(handle, token);
    }

    /** Whether the token is a control token (rendered as nothing in plain text). */
    public boolean isControl(int token) {
        checkToken(token);
        return LlamaLib.llama_vocab_is_control(handle, token);
    }

    /**
     * Tokenizes text.
     *
     * @param addSpecial add BOS/EOS as the model's tokenizer config says
     * @param parseSpecial recognise special-token text such as {@code <|im_start|>} as one token
     */
    public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
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
                        throw new Llava4jException(Code.INVALID_ARGUMENT, "text is too long to tokenize ("
                                + utf8.length + " bytes)");
                    }
                    capacity = -n;
                }
            }
        }
    }

    /**
     * The bytes of a token as plain text (control tokens render as nothing). Returns a shared
     * array: do not modify it.
     */
    public byte[] piece(int token) {
        checkToken(token);
        byte[][] table = pieces;
        if (table == null) {
            table = buildPieces();
        }
        return table[token];
    }

    /** The token's text with special tokens rendered (e.g. {@code <s>}), decoded leniently. */
    public String tokenText(int token) {
        checkToken(token);
        return new String(render(token, true), StandardCharsets.UTF_8);
    }

    /** Concatenates the pieces of tokens and decodes them as UTF-8 (invalid bytes become U+FFFD). */
    public String detokenize(int[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(tokens.length * 4);
        for (int t : tokens) {
            out.writeBytes(piece(t));
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private synchronized byte[][] buildPieces() {
        if (pieces != null) {
            return pieces;
        }
        byte[][] table = new byte[size][];
        for (int t = 0; t < size; t++) {
            table[t] = render(t, false);
        }
        pieces = table;
        return table;
    }

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
        if (token < 0 || token >= size) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "token id " + token + " is outside the vocabulary (0.."
                    + (size - 1) + ")");
        }
    }
}
