package io.llava4j.conversation;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.vision.ImageEmbedder.ImageEmbedding;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encoded images, so that the same picture is not encoded twice: in a new conversation, after a
 * {@code /clear}, or (with a folder) after a restart. Keys name the image content, the mmproj that
 * encoded it and the layout ({@link EmbeddingKey}).
 *
 * <p>Memory holds at most {@code maxBytes} of embeddings, least recently used out first. With a
 * folder, every entry is also written there as one file ({@code <key>.emb}: a header, the floats
 * little-endian and a CRC-32C of both); a file that is truncated, altered or of another format is
 * detected on read, deleted and recomputed. Files are written to a temporary name and renamed, so
 * a crash never leaves half an entry. Disk use is not bounded here; delete the folder to reclaim it.
 *
 * <p>Thread-safe. Values are shared, never copied: callers must not modify the returned arrays.
 */
public final class EmbeddingCache {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingCache.class);
    /** Default memory bound: a dozen LLaVA-NeXT-7B images (2928 x 4096 floats = 48 MB each). */
    public static final long DEFAULT_MAX_BYTES = 512L << 20;

    static final int MAGIC = 0x4c34_4a45; // "L4JE"
    static final int FORMAT = 1;

    private final long maxBytes;
    private final Path folder;
    private final LinkedHashMap<String, ImageEmbedding> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long hits;
    private long diskHits;
    private long misses;
    private long corrupt;

    private EmbeddingCache(long maxBytes, Path folder) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must be >= 0, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
        this.folder = folder;
    }

    /** A cache in memory only, bounded to {@code maxBytes} (0 keeps nothing). */
    public static EmbeddingCache inMemory(long maxBytes) {
        return new EmbeddingCache(maxBytes, null);
    }

    /**
     * A cache in memory backed by files in {@code folder} (created if missing).
     *
     * @throws io.llava4j.Llava4jException {@code IO} if the folder cannot be created
     */
    public static EmbeddingCache onDisk(long maxBytes, Path folder) {
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new Llava4jException(
                    Code.IO, "cannot create the embedding cache folder " + folder + ": " + e.getMessage(), e);
        }
        return new EmbeddingCache(maxBytes, folder);
    }

    /**
     * The embedding for {@code key}: from memory, else from the folder, else computed (outside
     * the lock: two threads may compute the same entry once each) and stored.
     */
    public ImageEmbedding get(EmbeddingKey key, Supplier<ImageEmbedding> compute) {
        String k = key.id();
        synchronized (this) {
            ImageEmbedding e = entries.get(k);
            if (e != null) {
                hits++;
                return e;
            }
        }
        ImageEmbedding fromDisk = folder != null ? read(k) : null;
        if (fromDisk != null) {
            synchronized (this) {
                diskHits++;
                remember(k, fromDisk);
            }
            return fromDisk;
        }
        ImageEmbedding computed = compute.get();
        synchronized (this) {
            misses++;
            remember(k, computed);
        }
        if (folder != null) {
            write(k, computed);
        }
        return computed;
    }

    /** Whether memory holds {@code key} (the folder is not looked at). */
    public synchronized boolean containsInMemory(EmbeddingKey key) {
        return entries.containsKey(key.id());
    }

    /** Drops every entry from memory; files stay. */
    public synchronized void clearMemory() {
        entries.clear();
        bytes = 0;
    }

    /** Counters since creation. */
    public synchronized Stats stats() {
        return new Stats(hits, diskHits, misses, corrupt, entries.size(), bytes);
    }

    /**
     * @param memoryHits lookups answered from memory
     * @param diskHits lookups answered from the folder
     * @param misses lookups that encoded the image
     * @param corruptFiles files found damaged, deleted and recomputed
     * @param entries entries in memory
     * @param bytes bytes of embeddings in memory
     */
    public record Stats(long memoryHits, long diskHits, long misses, long corruptFiles, int entries, long bytes) {}

    private void remember(String k, ImageEmbedding e) {
        long size = 4L * e.data().length;
        if (size > maxBytes) {
            return;
        }
        ImageEmbedding old = entries.put(k, e);
        bytes += size - (old != null ? 4L * old.data().length : 0);
        Iterator<Map.Entry<String, ImageEmbedding>> it = entries.entrySet().iterator();
        while (bytes > maxBytes && it.hasNext()) {
            Map.Entry<String, ImageEmbedding> eldest = it.next();
            bytes -= 4L * eldest.getValue().data().length;
            it.remove();
        }
    }

    private Path file(String k) {
        return folder.resolve(k + ".emb");
    }

    private ImageEmbedding read(String k) {
        Path f = file(k);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            long size = ch.size();
            byte[] keyBytes = k.getBytes(StandardCharsets.UTF_8);
            long header = 20L + keyBytes.length;
            if (size < header + 4 || size > Integer.MAX_VALUE) {
                return damaged(f, "size " + size);
            }
            ByteBuffer buf = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // read it all
            }
            buf.flip();
            int magic = buf.getInt();
            int format = buf.getInt();
            int tokens = buf.getInt();
            int width = buf.getInt();
            int keyLength = buf.getInt();
            if (magic != MAGIC
                    || format != FORMAT
                    || keyLength != keyBytes.length
                    || tokens <= 0
                    || width <= 0
                    || size != header + 4L * tokens * width + 4) {
                return damaged(f, "header");
            }
            byte[] storedKey = new byte[keyLength];
            buf.get(storedKey);
            float[] data = new float[tokens * width];
            buf.asFloatBuffer().get(data);
            CRC32C crc = new CRC32C();
            crc.update(buf.array(), 0, (int) size - 4);
            if (!Arrays.equals(storedKey, keyBytes) || (int) crc.getValue() != buf.getInt((int) size - 4)) {
                return damaged(f, "checksum");
            }
            return new ImageEmbedding(data, tokens, width);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            LOG.warn("embedding cache: cannot read {}: {}; encoding again", f, e.getMessage());
            return null;
        }
    }

    private ImageEmbedding damaged(Path f, String what) {
        synchronized (this) {
            corrupt++;
        }
        LOG.warn("embedding cache: {} is damaged ({}); deleting it and encoding the image again", f, what);
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            LOG.warn("embedding cache: cannot delete {}: {}", f, e.getMessage());
        }
        return null;
    }

    private void write(String k, ImageEmbedding e) {
        byte[] keyBytes = k.getBytes(StandardCharsets.UTF_8);
        int size = 20 + keyBytes.length + 4 * e.data().length + 4;
        ByteBuffer buf = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(MAGIC)
                .putInt(FORMAT)
                .putInt(e.tokens())
                .putInt(e.width())
                .putInt(keyBytes.length)
                .put(keyBytes);
        buf.asFloatBuffer().put(e.data());
        buf.position(size - 4);
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, size - 4);
        buf.putInt((int) crc.getValue());
        Path f = file(k);
        try {
            Path tmp = Files.createTempFile(folder, k, ".tmp");
            try {
                Files.write(tmp, buf.array());
                try {
                    Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException ex) {
                    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException ex) {
            LOG.warn("embedding cache: cannot write {}: {} (the entry stays in memory)", f, ex.getMessage());
        }
    }
}
