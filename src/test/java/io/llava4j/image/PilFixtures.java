package io.llava4j.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Access to {@code src/test/resources/pil/}, written by {@code src/test/python/make_pil_fixtures.py}
 * with Debian's python3-pil (Pillow 9.4.0; the exact version is in {@code pil/PILLOW_VERSION}).
 */
final class PilFixtures {
    private PilFixtures() {}

    static Path path(String relative) {
        URL url = PilFixtures.class.getResource("/pil/" + relative);
        if (url == null) {
            throw new IllegalStateException("missing test fixture pil/" + relative
                    + " (regenerate with /usr/bin/python3 src/test/python/make_pil_fixtures.py)");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] bytes(String relative) {
        try {
            return Files.readAllBytes(path(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The Pillow version that produced the fixtures. */
    static String pillowVersion() {
        return new String(bytes("PILLOW_VERSION"), StandardCharsets.US_ASCII).trim();
    }

    /** Tab-separated rows of a manifest, without '#' comment lines. */
    static List<String[]> tsv(String relative) {
        List<String[]> rows = new ArrayList<>();
        for (String line : new String(bytes(relative), StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                rows.add(line.split("\t"));
            }
        }
        return rows;
    }
}
