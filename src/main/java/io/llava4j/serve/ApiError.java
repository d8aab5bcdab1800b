package io.llava4j.serve;

/**
 * A request that fails with an HTTP status and a body in OpenAI's error shape,
 * {@code {"error":{"message","type","param","code"}}}.
 */
final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final int retryAfterSeconds;

    ApiError(int status, String type, String code, String param, String message, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400 {@code invalid_request_error}; {@code param} names the offending field (may be null). */
    static ApiError badRequest(String message, String param) {
        return new ApiError(400, "invalid_request_error", null, param, message, 0);
    }

    /** 400 with a machine-readable code, e.g. {@code context_length_exceeded}. */
    static ApiError badRequest(String message, String param, String code) {
        return new ApiError(400, "invalid_request_error", code, param, message, 0);
    }

    int status() {
        return status;
    }

    String type() {
        return type;
    }

    String param() {
        return param;
    }

    String code() {
        return code;
    }

    /** Seconds for a {@code Retry-After} header; 0 for none. */
    int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
