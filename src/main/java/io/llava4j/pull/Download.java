package io.llava4j.pull;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Downloads one hub file into the cache: resumable and verified.
 *
 * <p>Bytes go to {@code FILE.part}; {@code FILE.part.meta} records the SHA-256 and size they
 * belong to, so a later run continues the same file with an HTTP {@code Range} request and starts
 * over if the file changed on the hub. A broken connection is retried from where it stopped. Only a
 * complete file whose SHA-256 matches is moved to {@code FILE}; on a mismatch the partial data is
 * deleted and nothing is left in place.
 *
 * <p>Not thread-safe for the same target: two processes pulling the same file at once would
 * write the same {@code .part}.
 */
final class Download {
    private static final int BUFFER = 1 << 16;

    /**
     * What one download did.
     *
     * @param resumedFrom bytes reused from an earlier attempt (0 if none)
     * @param sha256 the verified SHA-256, or null when verification was off and none was known
     */
    record Result(HfFile file, Path path, long bytes, String sha256, boolean alreadyPresent, long resumedFrom) {}

    private final HubClient hub;
    private final int retries;

    /** @param retries how many times a broken transfer is resumed before giving up */
    Download(HubClient hub, int retries) {
        this.hub = hub;
        this.retries = retries;
    }

    /**
     * Makes sure {@code target} holds {@code file}.
     *
     * @param pinnedSha256 the expected SHA-256 from the catalogue, or null to use the hub's
     * @param verify refuse a file without a known SHA-256 (otherwise it is stored unverified)
     * @throws Llava4jException {@code IO} on network or disk failures (the partial file stays for a
     *     later resume), {@code INVALID_FILE} on a checksum or size mismatch (the partial file is deleted)
     */
    Result fetch(HfFile file, String pinnedSha256, Path target, boolean verify, DownloadListener listener) {
        if (Files.isRegularFile(target)) {
            return new Result(file, target, size(target), pinnedSha256, true, 0);
        }
        HubClient.Metadata meta = hub.head(file);
        if (pinnedSha256 != null && meta.sha256() != null && !pinnedSha256.equals(meta.sha256())) {
            throw new Llava4jException(
                    Code.INVALID_FILE,
                    file + ": the catalogue expects SHA-256 " + pinnedSha256 + " but the hub now publishes "
                            + meta.sha256() + "; the file changed upstream");
        }
        String expected = pinnedSha256 != null ? pinnedSha256 : meta.sha256();
        if (expected == null && verify) {
            throw new Llava4jException(
                    Code.INVALID_FILE,
                    file + ": the server publishes no SHA-256 for this file, so"
                            + " it cannot be verified (allow unverified downloads to fetch it anyway)");
        }
        Path part = target.resolveSibling(target.getFileName() + ".part");
        Path partMeta = target.resolveSibling(target.getFileName() + ".part.meta");
        String stamp = (expected == null ? "-" : expected) + " " + meta.size();
        try {
            Files.createDirectories(target.getParent());
            if (!Files.exists(partMeta)
                    || !Files.readString(partMeta, StandardCharsets.UTF_8).equals(stamp)) {
                Files.deleteIfExists(part);
                Files.writeString(partMeta, stamp, StandardCharsets.UTF_8);
            }
            long resumedFrom = Files.exists(part) ? Files.size(part) : 0;
            MessageDigest digest = sha256();
            transfer(file, part, meta.size(), digest, listener);
            long bytes = Files.size(part);
            listener.finished(file, bytes);
            String actual = HexFormat.of().formatHex(digest.digest());
            if ((meta.size() >= 0 && bytes != meta.size()) || (expected != null && !expected.equals(actual))) {
                Files.deleteIfExists(part);
                Files.deleteIfExists(partMeta);
                throw new Llava4jException(
                        Code.INVALID_FILE,
                        file + ": checksum mismatch: expected SHA-256 "
                                + (expected == null ? "(none)" : expected) + " and " + meta.size() + " bytes, got "
                                + actual
                                + " and " + bytes + " bytes; the download was deleted, pull again");
            }
            moveIntoPlace(part, target);
            Files.deleteIfExists(partMeta);
            return new Result(file, target, bytes, expected == null ? null : actual, false, resumedFrom);
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, target + ": " + e.getMessage(), e);
        }
    }

    /** Appends the rest of the file to {@code part}, resuming after broken connections. */
    private void transfer(HfFile file, Path part, long total, MessageDigest digest, DownloadListener listener)
            throws IOException {
        long offset = Files.exists(part) ? Files.size(part) : 0;
        hashExisting(part, offset, digest);
        listener.started(file, offset, total);
        for (int attempt = 0; ; attempt++) {
            if (total >= 0 && offset >= total) {
                return;
            }
            HubClient.Body body = hub.get(file, offset);
            if (body.status() == 416) {
                return;
            }
            if (body.status() == 200 && offset > 0) {
                // The server ignored the range and sends the whole file: start over.
                Files.deleteIfExists(part);
                digest.reset();
                offset = 0;
            } else if (body.status() == 206 && body.start() != offset) {
                body.stream().close();
                throw new Llava4jException(
                        Code.IO,
                        file + ": asked for bytes from " + offset + " but the server sent a range starting at "
                                + body.start());
            }
            try (InputStream in = body.stream();
                    FileChannel out = FileChannel.open(
                            part, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                byte[] buf = new byte[BUFFER];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(ByteBuffer.wrap(buf, 0, n));
                    digest.update(buf, 0, n);
                    offset += n;
                    listener.progress(file, offset, total);
                }
                if (total < 0 || offset >= total) {
                    return;
                }
                throw new IOException("connection closed after " + offset + " of " + total + " bytes");
            } catch (IOException e) {
                if (attempt >= retries) {
                    throw new IOException(
                            "download interrupted after " + offset + " bytes (" + e.getMessage()
                                    + "); run the same command again to resume",
                            e);
                }
                listener.retrying(file, offset, String.valueOf(e.getMessage()));
            }
        }
    }

    private static void hashExisting(Path part, long length, MessageDigest digest) throws IOException {
        if (length == 0) {
            return;
        }
        try (InputStream in = Files.newInputStream(part)) {
            byte[] buf = new byte[BUFFER];
            for (int n; (n = in.read(buf)) >= 0; ) {
                digest.update(buf, 0, n);
            }
        }
    }

    private static void moveIntoPlace(Path part, Path target) throws IOException {
        try {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, target);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, p + ": " + e.getMessage(), e);
        }
    }
}
