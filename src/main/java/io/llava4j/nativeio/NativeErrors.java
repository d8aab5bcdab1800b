package io.llava4j.nativeio;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.nativeio.bindings.LlamaLib;
import java.nio.charset.StandardCharsets;

/** The one place where native status codes become {@link Llava4jException}s. */
public final class NativeErrors {
    private NativeErrors() {}

    /**
     * Throws for a non-zero status of a {@code llava4j_*} shim function, with the shim's message.
     *
     * @param status the returned status
     * @param what what was attempted, prefixed to the message
     */
    public static void checkShim(int status, String what) {
        if (status == LlamaLib.LLAVA4J_OK) {
            return;
        }
        String message = what + ": " + lastShimError();
        Code code = switch (status) {
            case LlamaLib.LLAVA4J_ERR_INVALID_ARG, LlamaLib.LLAVA4J_ERR_IMAGE_SIZE, LlamaLib.LLAVA4J_ERR_BUFFER_SIZE ->
                Code.INVALID_ARGUMENT;
            case LlamaLib.LLAVA4J_ERR_LOAD, LlamaLib.LLAVA4J_ERR_NO_VISION -> Code.LOAD_FAILED;
            default -> Code.NATIVE;
        };
        throw new Llava4jException(code, message);
    }

    /**
     * Throws for a non-zero {@code llama_decode} result.
     *
     * @param status 0 ok, 1 no KV slot, 2 aborted, negative errors (llama.h)
     */
    public static void checkDecode(int status, String what) {
        switch (status) {
            case 0 -> {}
            case 1 ->
                throw new Llava4jException(
                        Code.CONTEXT_FULL,
                        what + ": no room left in the KV cache (llama_decode returned 1); use a larger context");
            case 2 -> throw new Llava4jException(Code.CANCELLED, what + ": cancelled");
            default ->
                throw new Llava4jException(
                        Code.NATIVE, what + ": llama_decode failed with status " + status + " (see the llama.cpp log)");
        }
    }

    private static String lastShimError() {
        byte[] bytes = LlamaLib.llava4j_last_error().getStringBytes();
        return bytes.length == 0 ? "unknown error" : new String(bytes, StandardCharsets.UTF_8);
    }
}
