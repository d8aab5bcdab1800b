package io.llava4j.convert.checkpoint;

import io.llava4j.convert.CheckpointException;
import java.io.Closeable;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The tensors of one checkpoint (one or several weight files), by name, in file order. Opened by
 * {@link Checkpoints#open}; {@link #close()} closes the files, after which tensors can no longer be
 * read. Reading is thread-safe.
 */
public final class Checkpoint implements Closeable {
    private final Path location;
    private final Map<String, CheckpointTensor> tensors;
    private final Collection<? extends Closeable> resources;

    Checkpoint(Path location, Map<String, CheckpointTensor> tensors, Collection<? extends Closeable> resources) {
        this.location = location;
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        this.resources = resources;
    }

    /** The folder or file the checkpoint was opened from. */
    public Path location() {
        return location;
    }

    /** Tensor names in file order (shard after shard). */
    public Set<String> names() {
        return tensors.keySet();
    }

    public Collection<CheckpointTensor> tensors() {
        return tensors.values();
    }

    public Optional<CheckpointTensor> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** @throws CheckpointException if there is no such tensor */
    public CheckpointTensor get(String name) {
        CheckpointTensor t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(location, "missing tensor '" + name + "'");
        }
        return t;
    }

    @Override
    public void close() {
        for (Closeable c : resources) {
            try {
                c.close();
            } catch (java.io.IOException ignored) {
                // read-only files: nothing is lost
            }
        }
    }
}
