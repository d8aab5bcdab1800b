package io.llava4j.image;

import io.llava4j.Llava4jException;

/**
 * An image whose header declares more pixels, or a longer side, than {@link ImageLoadOptions}
 * allow (a decompression bomb or simply an absurd size), or a download larger than allowed. Thrown
 * before any pixel is decoded; code {@link Llava4jException.Code#INVALID_ARGUMENT}.
 */
public final class ImageTooLargeException extends Llava4jException {
    private static final long serialVersionUID = 1L;

    private final long width;
    private final long height;

    ImageTooLargeException(String message, long width, long height) {
        super(Code.INVALID_ARGUMENT, message);
        this.width = width;
        this.height = height;
    }

    /** The declared width, or -1 when the limit that was hit is a byte count. */
    public long width() {
        return width;
    }

    /** The declared height, or -1 when the limit that was hit is a byte count. */
    public long height() {
        return height;
    }
}
