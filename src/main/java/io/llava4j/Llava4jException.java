package io.llava4j;

/**
 * The one unchecked exception type of llava4j. Every failure a user can cause (a bad file, image,
 * prompt or setting) and every error reported by native code ends up as this type or a subclass,
 * with a {@link Code} that tells callers what went wrong without parsing the message.
 */
public class Llava4jException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What kind of failure this is. */
    public enum Code {
        /** A GGUF file is malformed, truncated or holds a key or tensor of the wrong type or shape. */
        INVALID_FILE,
        /** A file cannot be found or read. */
        IO,
        /** An argument or setting is out of range. */
        INVALID_ARGUMENT,
        /** A model or encoder could not be loaded by native code. */
        LOAD_FAILED,
        /** Two files do not belong together (e.g. an mmproj whose width differs from the LM's). */
        INCOMPATIBLE,
        /** A prompt or image does not fit the context. */
        CONTEXT_FULL,
        /** The operation was cancelled by the caller. */
        CANCELLED,
        /** An object was used from two threads at once, or in a state that does not allow the call. */
        ILLEGAL_STATE,
        /** An object (or the native object behind it) was used after it was closed. */
        CLOSED,
        /** The native library is missing or could not be loaded. */
        NATIVE_LIBRARY,
        /** A remote ggml RPC server cannot be reached or does not speak this build's protocol. */
        REMOTE,
        /** Native code reported a failure not covered above. */
        NATIVE,
    }

    private final Code code;

    public Llava4jException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public Llava4jException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The kind of failure; never null. */
    public Code code() {
        return code;
    }
}
