package io.llava4j.serve;

import io.llava4j.Llava4jException;
import io.llava4j.image.ChatImage;
import io.llava4j.image.ImageLoadOptions;
import io.llava4j.image.ImageLoader;
import io.llava4j.image.UrlPolicy;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The images of a request: an {@code image_url} is a {@code data:image/...;base64,} URI, bare
 * base64, or an {@code http(s)} URL downloaded with size and time limits (and the
 * {@link PublicUrlPolicy} unless local URLs are allowed). Never a file path or {@code file:} URI:
 * clients must not read the server's disk.
 */
final class ImageSource {
    /** OpenAI's own limit for one image. */
    static final long MAX_IMAGE_BYTES = 20L << 20;

    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/=_\\-\\s]+");

    private final ImageLoader loader;

    ImageSource(boolean allowLocalUrls) {
        UrlPolicy policy = allowLocalUrls ? UrlPolicy.ANY : new PublicUrlPolicy();
        ImageLoadOptions options = ImageLoadOptions.DEFAULTS
                .withMaxEncodedBytes(MAX_IMAGE_BYTES)
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30));
        this.loader = new ImageLoader(options, policy);
    }

    /**
     * Loads one image.
     *
     * @param param the request field it came from, for the error
     * @throws ApiError 400 if it is of no accepted form, cannot be fetched or decoded, or is refused
     */
    ChatImage load(String url, String param) {
        String s = url.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        try {
            if (lower.startsWith("data:")) {
                return ChatImage.of(loader.load(s), null);
            }
            if (lower.startsWith("http://") || lower.startsWith("https://")) {
                URI uri;
                try {
                    uri = new URI(s);
                } catch (URISyntaxException e) {
                    throw ApiError.badRequest("malformed image URL: " + e.getMessage(), param, "invalid_image_url");
                }
                return ChatImage.of(loader.load(uri), s);
            }
            if (!s.isEmpty() && BASE64.matcher(s).matches()) {
                return ChatImage.of(loader.load("data:;base64," + s), null);
            }
        } catch (Llava4jException e) {
            throw ApiError.badRequest("image " + param + ": " + e.getMessage(), param, "invalid_image");
        }
        throw ApiError.badRequest(
                "image_url must be a data: URI, base64 image bytes or an http(s) URL", param, "invalid_image_url");
    }
}
