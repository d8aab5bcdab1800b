package io.llava4j.convert;

import io.llava4j.Llava4jException;
import java.nio.file.Path;

/**
 * A checkpoint that cannot be converted: a malformed or truncated weights file, a configuration
 * without a value the conversion needs, a tensor of an unsupported type, or a layout llava4j does
 * not know. The message starts with the file (or folder) it is about, like
 * {@link io.llava4j.gguf.GgufFormatException}'s. The code is {@link Code#INVALID_FILE} for content
 * problems and {@link Code#IO} when a file cannot be read.
 */
public final class CheckpointException extends Llava4jException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /** A content problem ({@link Code#INVALID_FILE}) in {@code file}. */
    public CheckpointException(Path file, String problem) {
        this(Code.INVALID_FILE, file, problem, null);
    }

    /** A problem of the given kind in {@code file}, with an optional cause. */
    public CheckpointException(Code code, Path file, String problem, Throwable cause) {
        super(code, (file == null ? "<checkpoint>" : file.toString()) + ": " + problem, cause);
        this.file = file;
    }

    /** The file or folder this is about; may be null. */
    public Path file() {
        return file;
    }
}
