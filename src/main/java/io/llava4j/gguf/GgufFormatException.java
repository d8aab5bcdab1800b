package io.llava4j.gguf;

import io.llava4j.Llava4jException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A GGUF file is malformed, truncated, cannot be read, or holds a key or tensor of the wrong type.
 *
 * <p>The message always starts with the file it is about, then names the problem and, where there
 * is one, the key or tensor: {@code "/m/mmproj.gguf: key 'clip.vision.image_size' has type INT32,
 * expected UINT32"}. The {@link #code() code} is {@link Code#INVALID_FILE} for everything about the
 * file's content and {@link Code#IO} when the file is missing or cannot be read.
 */
public final class GgufFormatException extends Llava4jException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * A content problem ({@link Code#INVALID_FILE}).
     *
     * @param file the GGUF file (may be null for data that did not come from a file)
     * @param problem what is wrong, without the file name
     */
    public GgufFormatException(Path file, String problem) {
        this(Code.INVALID_FILE, file, problem, null);
    }

    /**
     * A problem of the given kind.
     *
     * @param code {@link Code#INVALID_FILE} or {@link Code#IO}
     * @param file the GGUF file (may be null)
     * @param problem what is wrong, without the file name
     * @param cause the underlying exception, or null
     */
    public GgufFormatException(Code code, Path file, String problem, Throwable cause) {
        super(Objects.requireNonNull(code, "code"), describe(file) + ": " + problem, cause);
        this.file = file;
    }

    /** The file this is about; null when the data did not come from a file. */
    public Path file() {
        return file;
    }

    private static String describe(Path file) {
        return file == null ? "<GGUF data>" : file.toString();
    }
}
