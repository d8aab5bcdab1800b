package io.llava4j.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The chat page served at {@code /}: one self-contained HTML file in the jar (inline script and
 * style, no CDN), talking to the server's own OpenAI endpoints.
 */
final class WebPage {
    private static final String RESOURCE = "index.html";

    private WebPage() {}

    private static final class Holder {
        static final byte[] BYTES = load();
    }

    static byte[] bytes() {
        return Holder.BYTES;
    }

    private static byte[] load() {
        try (InputStream in = WebPage.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks " + RESOURCE + " next to " + WebPage.class.getName());
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
