package io.llava4j.convert.tokenizer;

/**
 * Token types as llama.cpp stores them in {@code tokenizer.ggml.token_type} ({@code
 * llama_token_type}; the same numbers as SentencePiece's {@code SentencePiece.Type}).
 */
public final class TokenType {
    public static final int NORMAL = 1;
    public static final int UNKNOWN = 2;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    public static final int UNUSED = 5;
    public static final int BYTE = 6;

    private TokenType() {}
}
