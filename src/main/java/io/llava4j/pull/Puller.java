package io.llava4j.pull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Downloads catalogue pairs ({@code NAME[:QUANT]}) and single hub files ({@code hf://owner/repo/file})
 * into a {@link ModelCache}: resumable, SHA-256-verified, files already in the cache are not fetched
 * again.
 *
 * <p>Thread-safe, but two pulls of the same file at the same time (in this or another process)
 * would share one {@code .part} file: do not.
 */
public final class Puller {
    /** How often a broken transfer is resumed within one pull. */
    public static final int DEFAULT_RETRIES = 3;

    /**
     * One file of a pull.
     *
     * @param path where it is in the cache
     * @param bytes its size
     * @param sha256 the verified SHA-256, or null if none was known (unverified pull)
     * @param alreadyPresent it was in the cache before (nothing downloaded)
     * @param resumedFrom bytes reused from an interrupted earlier download
     */
    public record PulledFile(
            HfFile file, Path path, long bytes, String sha256, boolean alreadyPresent, long resumedFrom) {}

    /**
     * What a pull did.
     *
     * @param name the canonical {@code NAME:QUANT}, or the {@code hf://} reference
     * @param files the language model first, then the mmproj (one file for {@code hf://})
     */
    public record Result(String name, List<PulledFile> files) {}

    private final ModelCache cache;
    private final HubClient hub;
    private final Catalogue catalogue;
    private final int retries;

    /**
     * @param retries how often a broken transfer is resumed before the pull fails (0: never)
     */
    public Puller(ModelCache cache, HubClient hub, Catalogue catalogue, int retries) {
        this.cache = Objects.requireNonNull(cache, "cache");
        this.hub = Objects.requireNonNull(hub, "hub");
        this.catalogue = Objects.requireNonNull(catalogue, "catalogue");
        if (retries < 0) {
            throw new IllegalArgumentException("retries must be >= 0, not " + retries);
        }
        this.retries = retries;
    }

    /** The cache, endpoint and built-in catalogue of this process's settings. */
    public static Puller fromEnvironment() {
        return new Puller(
                ModelCache.fromEnvironment(), HubClient.fromEnvironment(), Catalogue.builtIn(), DEFAULT_RETRIES);
    }

    public ModelCache cache() {
        return cache;
    }

    public HubClient hub() {
        return hub;
    }

    public Catalogue catalogue() {
        return catalogue;
    }

    /**
     * Pulls a catalogue pair or one {@code hf://} file.
     *
     * @param ref {@code NAME}, {@code NAME:QUANT} or {@code hf://owner/repo/path}
     * @param verify refuse files whose SHA-256 is unknown (the hub publishes one for every LFS file)
     * @throws io.llava4j.Llava4jException {@code INVALID_ARGUMENT} for an unknown name, {@code IO}
     *     when offline or on HTTP/disk errors (a partial download stays and is resumed next time),
     *     {@code INVALID_FILE} on a checksum mismatch (the partial download is deleted)
     */
    public Result pull(String ref, boolean verify, DownloadListener listener) {
        Download download = new Download(hub, retries);
        List<PulledFile> files = new ArrayList<>();
        String name;
        if (ref.startsWith(HfFile.SCHEME)) {
            HfFile f = HfFile.parse(ref);
            name = f.toString();
            files.add(fetch(download, f, null, verify, listener));
        } else {
            Catalogue.Pair pair = catalogue.resolve(ref);
            name = pair.name();
            files.add(fetch(download, pair.model(), pair.modelSha256(), verify, listener));
            files.add(fetch(download, pair.mmproj(), pair.mmprojSha256(), verify, listener));
        }
        return new Result(name, List.copyOf(files));
    }

    private PulledFile fetch(Download download, HfFile f, String sha, boolean verify, DownloadListener listener) {
        Download.Result r = download.fetch(f, sha, cache.path(f), verify, listener);
        return new PulledFile(f, r.path(), r.bytes(), r.sha256(), r.alreadyPresent(), r.resumedFrom());
    }
}
