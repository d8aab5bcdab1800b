package io.llava4j.image;

import java.awt.image.BufferedImage;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * An image attached to a user turn: decoded pixels (Pillow's {@code convert("RGB")} semantics,
 * EXIF orientation applied), the SHA-256 of those pixels and, when it came from a path or URL,
 * where it came from.
 *
 * <p>The content hash identifies the image in the embedding cache and in saved conversations: the
 * same picture in two files, or re-encoded losslessly, is the same image. Immutable and
 * thread-safe.
 */
public final class ChatImage {
    private static final ImageLoader LOADER = new ImageLoader();

    private final RgbImage pixels;
    private final String source;
    private final String sha256;

    private ChatImage(RgbImage pixels, String source) {
        this.pixels = Objects.requireNonNull(pixels, "pixels");
        this.source = source;
        this.sha256 = hash(pixels);
    }

    /**
     * An image from a path, an {@code http(s)} URL or a {@code data:} URI (what {@code --image} and
     * {@code /image} take).
     *
     * @throws io.llava4j.Llava4jException if it cannot be read or decoded, or is too large
     */
    public static ChatImage load(String pathOrUrl) {
        return new ChatImage(LOADER.load(pathOrUrl), pathOrUrl.startsWith("data:") ? null : pathOrUrl);
    }

    /** An image file; see {@link #load(String)}. */
    public static ChatImage of(Path file) {
        return new ChatImage(LOADER.load(file), file.toString());
    }

    /** An image at an {@code http(s)} URL; see {@link #load(String)}. */
    public static ChatImage of(URI url) {
        return new ChatImage(LOADER.load(url), url.toString());
    }

    /** Encoded image bytes (JPEG, PNG, BMP, GIF, WebP); no source is recorded. */
    public static ChatImage of(byte[] encoded) {
        return new ChatImage(LOADER.decode(encoded, "image bytes"), null);
    }

    /** An image the application already holds; no source is recorded. */
    public static ChatImage of(BufferedImage image) {
        return new ChatImage(LOADER.fromBufferedImage(image), null);
    }

    /** Decoded pixels, with an optional source for saved conversations. */
    public static ChatImage of(RgbImage pixels, String source) {
        return new ChatImage(pixels, source);
    }

    public RgbImage pixels() {
        return pixels;
    }

    /** Where the image came from (a path or URL), if known. */
    public Optional<String> source() {
        return Optional.ofNullable(source);
    }

    /** Lower-case hex SHA-256 of the width, height and RGB bytes. */
    public String sha256() {
        return sha256;
    }

    private static String hash(RgbImage image) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(ByteBuffer.allocate(8)
                    .putInt(image.width())
                    .putInt(image.height())
                    .flip());
            md.update(image.rgbBuffer());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "ChatImage[" + pixels.width() + "x" + pixels.height() + (source != null ? ", " + source : "") + "]";
    }
}
