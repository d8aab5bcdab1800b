package io.llava4j.image;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits and switches for {@link ImageLoader}.
 *
 * @param maxPixels largest {@code width * height} accepted, checked from the header before
 *     decoding; the default, 178,956,970, is where Pillow raises {@code DecompressionBombError}
 *     ({@code 2 * Image.MAX_IMAGE_PIXELS})
 * @param maxSide longest accepted side in pixels (default 65,535, JPEG's own ceiling)
 * @param maxEncodedBytes largest file, download or data: URI payload accepted (default 256 MiB)
 * @param connectTimeout URL loading: time to open the connection
 * @param readTimeout URL loading: time for the whole response, headers and body
 * @param applyExifOrientation rotate/flip by the EXIF orientation tag like Pillow's
 *     {@code ImageOps.exif_transpose} (the original LLaVA does not, HF's {@code load_image} does)
 */
public record ImageLoadOptions(
        long maxPixels,
        int maxSide,
        long maxEncodedBytes,
        Duration connectTimeout,
        Duration readTimeout,
        boolean applyExifOrientation) {
    /** Pillow's decompression-bomb error threshold, {@code 2 * 89,478,485}. */
    public static final long PIL_BOMB_PIXELS = 178_956_970L;

    /** The defaults described on the components; 10 s to connect, 60 s to read. */
    public static final ImageLoadOptions DEFAULTS = new ImageLoadOptions(
            PIL_BOMB_PIXELS, 65_535, 256L << 20, Duration.ofSeconds(10), Duration.ofSeconds(60), true);

    /** @throws IllegalArgumentException for non-positive limits or timeouts */
    public ImageLoadOptions {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        if (maxPixels < 1 || maxSide < 1 || maxEncodedBytes < 1) {
            throw new IllegalArgumentException("image limits must be positive");
        }
        if (connectTimeout.isNegative()
                || connectTimeout.isZero()
                || readTimeout.isNegative()
                || readTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
        if (maxEncodedBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("maxEncodedBytes must fit one array");
        }
    }

    public ImageLoadOptions withMaxPixels(long value) {
        return new ImageLoadOptions(value, maxSide, maxEncodedBytes, connectTimeout, readTimeout, applyExifOrientation);
    }

    public ImageLoadOptions withMaxSide(int value) {
        return new ImageLoadOptions(
                maxPixels, value, maxEncodedBytes, connectTimeout, readTimeout, applyExifOrientation);
    }

    public ImageLoadOptions withMaxEncodedBytes(long value) {
        return new ImageLoadOptions(maxPixels, maxSide, value, connectTimeout, readTimeout, applyExifOrientation);
    }

    public ImageLoadOptions withTimeouts(Duration connect, Duration read) {
        return new ImageLoadOptions(maxPixels, maxSide, maxEncodedBytes, connect, read, applyExifOrientation);
    }

    public ImageLoadOptions withExifOrientation(boolean apply) {
        return new ImageLoadOptions(maxPixels, maxSide, maxEncodedBytes, connectTimeout, readTimeout, apply);
    }
}
