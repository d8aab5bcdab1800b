package io.llava4j.image;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Loads an image from a file, an http(s) URL, a {@code data:} URI or bytes, and returns the 8-bit
 * RGB pixels the original LLaVA code sees after {@code Image.open(f).convert("RGB")} (Pillow 9.4
 * semantics, see {@link PilRgbConverter}), then, unless disabled, upright per EXIF orientation.
 *
 * <p>Formats: JPEG (baseline, progressive, grey, CMYK/YCCK; embedded ICC profiles are ignored as
 * Pillow ignores them), PNG (all bit depths, palette, alpha), BMP, GIF (first frame) and WebP
 * (lossless exact; lossy through TwelveMonkeys' VP8 decoder, which is not bit-exact with libwebp).
 *
 * <p>Every failure is a {@link Llava4jException} naming the source: {@code IO} (missing or
 * unreadable file, network error), {@code INVALID_FILE} (empty, corrupt, truncated or unsupported
 * data), {@code INVALID_ARGUMENT} (malformed URI, and {@link ImageTooLargeException} for sizes past
 * the {@link ImageLoadOptions} limits, detected from the header before decoding pixels).
 *
 * <p>Immutable and thread-safe; calls may run concurrently.
 */
public final class ImageLoader {
    private final ImageLoadOptions options;
    private final UrlPolicy urlPolicy;

    /** A loader with {@link ImageLoadOptions#DEFAULTS}. */
    public ImageLoader() {
        this(ImageLoadOptions.DEFAULTS);
    }

    /** A loader that downloads from any URL. */
    public ImageLoader(ImageLoadOptions options) {
        this(options, UrlPolicy.ANY);
    }

    /**
     * A loader whose downloads, and each redirect they follow, are first checked by {@code urlPolicy}.
     */
    public ImageLoader(ImageLoadOptions options, UrlPolicy urlPolicy) {
        this.options = Objects.requireNonNull(options, "options");
        this.urlPolicy = Objects.requireNonNull(urlPolicy, "urlPolicy");
    }

    public ImageLoadOptions options() {
        return options;
    }

    /**
     * Loads from a string as users type it: {@code data:} URI, {@code http://} or {@code https://}
     * URL, {@code file:} URI, or else a file path.
     */
    public RgbImage load(String source) {
        Objects.requireNonNull(source, "source");
        String lower = source.trim().toLowerCase(Locale.ROOT);
        if (DataUri.isDataUri(lower)) {
            return decode(
                    DataUri.decode(source.trim(), options.maxEncodedBytes()),
                    "data: URI " + DataUri.describe(source.trim()));
        }
        if (lower.startsWith("http://") || lower.startsWith("https://") || lower.startsWith("file:")) {
            try {
                return load(new URI(source.trim()));
            } catch (URISyntaxException e) {
                throw new Llava4jException(
                        Code.INVALID_ARGUMENT, "malformed URL '" + source + "': " + e.getMessage(), e);
            }
        }
        try {
            return load(Path.of(source));
        } catch (InvalidPathException e) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT, "invalid image path '" + source + "': " + e.getMessage(), e);
        }
    }

    /** Loads an {@code http}, {@code https}, {@code file} or {@code data} URI. */
    public RgbImage load(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        switch (scheme) {
            case "http", "https" -> {
                return decode(HttpFetcher.fetch(uri, options, urlPolicy), uri.toString());
            }
            case "file" -> {
                try {
                    return load(Path.of(uri));
                } catch (IllegalArgumentException e) {
                    throw new Llava4jException(
                            Code.INVALID_ARGUMENT, "invalid file URI " + uri + ": " + e.getMessage(), e);
                }
            }
            case "data" -> {
                return load(uri.toString());
            }
            default ->
                throw new Llava4jException(
                        Code.INVALID_ARGUMENT,
                        "unsupported image URI scheme '" + scheme + "' in " + uri
                                + " (use a path, file:, http(s): or data:)");
        }
    }

    /** Loads a file; its size is checked against {@code maxEncodedBytes} before it is read. */
    public RgbImage load(Path path) {
        Objects.requireNonNull(path, "path");
        byte[] data;
        try {
            if (Files.isDirectory(path)) {
                throw new Llava4jException(Code.IO, path + ": is a directory, not an image file");
            }
            long size = Files.size(path);
            if (size > options.maxEncodedBytes()) {
                throw new ImageTooLargeException(
                        path + ": file of " + size + " bytes exceeds the limit of " + options.maxEncodedBytes(),
                        -1,
                        -1);
            }
            try (InputStream in = Files.newInputStream(path)) {
                data = in.readNBytes((int) options.maxEncodedBytes() + 1);
            }
        } catch (NoSuchFileException e) {
            throw new Llava4jException(Code.IO, path + ": no such image file", e);
        } catch (AccessDeniedException e) {
            throw new Llava4jException(Code.IO, path + ": permission denied", e);
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, path + ": cannot read: " + e, e);
        }
        if (data.length > options.maxEncodedBytes()) {
            throw new ImageTooLargeException(
                    path + ": file grew past the limit of " + options.maxEncodedBytes() + " bytes while being read",
                    -1,
                    -1);
        }
        return decode(data, path.toString());
    }

    /**
     * Decodes an encoded image held in memory.
     *
     * @param sourceName what error messages call it (e.g. a file name); not interpreted
     */
    public RgbImage decode(byte[] encoded, String sourceName) {
        Objects.requireNonNull(encoded, "encoded");
        String name = sourceName == null ? "image bytes" : sourceName;
        if (encoded.length > options.maxEncodedBytes()) {
            throw new ImageTooLargeException(
                    name + ": " + encoded.length + " bytes exceed the limit of " + options.maxEncodedBytes(), -1, -1);
        }
        return ImageDecoder.decode(encoded, name, options);
    }

    /**
     * Converts an image already decoded by the application, as Pillow's {@code convert("RGB")}
     * would convert the same pixels: alpha is dropped (not composited), grey is replicated, a
     * palette is looked up; colour models Pillow has no mode for go through Java's conversion.
     *
     * @throws ImageTooLargeException if it has more pixels than {@link ImageLoadOptions#maxPixels()}
     */
    public RgbImage fromBufferedImage(BufferedImage image) {
        Objects.requireNonNull(image, "image");
        long pixels = (long) image.getWidth() * image.getHeight();
        if (pixels > options.maxPixels()) {
            throw new ImageTooLargeException(
                    "a " + image.getWidth() + "x" + image.getHeight() + " image has more than " + options.maxPixels()
                            + " pixels",
                    image.getWidth(),
                    image.getHeight());
        }
        byte[] rgb = PilRgbConverter.convert(image, false);
        if (rgb == null) {
            rgb = PilRgbConverter.viaJava(image);
        }
        return new RgbImage(image.getWidth(), image.getHeight(), rgb);
    }
}
