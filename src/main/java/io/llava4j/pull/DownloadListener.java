package io.llava4j.pull;

/**
 * Progress of downloads. Called on the downloading thread; implementations must be quick.
 */
public interface DownloadListener {
    /** Does nothing. */
    DownloadListener NONE = (file, done, total) -> {};

    /**
     * A transfer starts.
     *
     * @param offset bytes already on disk from an earlier attempt (0 for a fresh download)
     * @param total the file's size, or -1 if the hub did not say
     */
    default void started(HfFile file, long offset, long total) {}

    /** Bytes on disk so far, of {@code total} (-1 if unknown). */
    void progress(HfFile file, long done, long total);

    /** The file is complete on disk ({@code bytes} long), before its checksum is checked. */
    default void finished(HfFile file, long bytes) {}

    /** The connection broke at {@code offset} and the download continues from there. */
    default void retrying(HfFile file, long offset, String reason) {}
}
