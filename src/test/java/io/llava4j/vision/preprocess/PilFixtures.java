package io.llava4j.vision.preprocess;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Access to {@code src/test/resources/pil/}, written by {@code src/test/python/make_pil_fixtures.py}
 * with Debian's python3-pil (Pillow 9.4.0; the exact version is in {@code pil/PILLOW_VERSION}).
 */
final class PilFixtures {
    private PilFixtures() {}

    static byte[] bytes(String relative) {
        try (InputStream in = PilFixtures.class.getResourceAsStream("/pil/" + relative)) {
            if (in == null) {
                throw new IllegalStateException("missing test fixture pil/" + relative
                        + " (regenerate with /usr/bin/python3 src/test/python/make_pil_fixtures.py)");
            }
            return relative.endsWith(".gz") ? new GZIPInputStream(in).readAllBytes() : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

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

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
