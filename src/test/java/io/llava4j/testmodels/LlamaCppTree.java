package io.llava4j.testmodels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Finds the pinned llama.cpp source tree that tests read vocabularies and reference files from.
 *
 * <p>Search order: (1) system property {@code llava4j.native.dir} (Maven's surefire sets it to
 * {@code target/native}, which {@code native/build.sh} links to the install prefix) + {@code
 * /llama.cpp}, the link to the patched source; (2) the source cache of {@code native/fetch.sh}:
 * {@code $LLAVA4J_CACHE/src/} (default {@code ~/.cache/llava4j/src/}) entries named after the
 * pinned commit {@value #PINNED_COMMIT}, newest first. A tree counts only if it has
 * {@code models/ggml-vocab-llama-spm.gguf}.
 */
public final class LlamaCppTree {
    /** The llama.cpp commit of {@code native/llama.cpp.pin}. */
    public static final String PINNED_COMMIT = "de3ff815ea7d559ee917f063901b8986f038abc6";

    private LlamaCppTree() {}

    /** The tree, if one can be found (see class comment). */
    public static Optional<Path> find() {
        String nativeDir = System.getProperty("llava4j.native.dir");
        if (nativeDir != null && !nativeDir.isBlank()) {
            Path p = Paths.get(nativeDir, "llama.cpp");
            if (isTree(p)) {
                return Optional.of(p.toAbsolutePath());
            }
        }
        for (Path p : cacheCandidates()) {
            if (isTree(p)) {
                return Optional.of(p.toAbsolutePath());
            }
        }
        return Optional.empty();
    }

    /**
     * The tree.
     *
     * @throws IllegalStateException saying where it looked and how to get one
     */
    public static Path require() {
        return find().orElseThrow(() -> new IllegalStateException(
                "pinned llama.cpp source tree not found: looked in ${llava4j.native.dir}/llama.cpp (llava4j.native.dir="
                        + System.getProperty("llava4j.native.dir") + ") and " + cacheDir() + "/" + PINNED_COMMIT
                        + "*; run native/fetch.sh (or the Maven build) first, or pass -Dllava4j.native.dir"));
    }

    /** {@code models/ggml-vocab-<name>.gguf} of the tree, e.g. {@code vocab("llama-spm")}. */
    public static Path vocab(String name) {
        Path p = require().resolve("models").resolve("ggml-vocab-" + name + ".gguf");
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("no vocabulary file " + p);
        }
        return p;
    }

    /** A file of the tree by relative path, e.g. {@code file("tools/mtmd/test-1.jpeg")}. */
    public static Path file(String relative) {
        return require().resolve(relative);
    }

    private static boolean isTree(Path p) {
        return Files.isRegularFile(p.resolve("models").resolve("ggml-vocab-llama-spm.gguf"));
    }

    private static Path cacheDir() {
        String cache = System.getenv("LLAVA4J_CACHE");
        if (cache == null || cache.isBlank()) {
            String xdg = System.getenv("XDG_CACHE_HOME");
            Path base = xdg == null || xdg.isBlank()
                    ? Paths.get(System.getProperty("user.home"), ".cache")
                    : Paths.get(xdg);
            return base.resolve("llava4j").resolve("src");
        }
        return Paths.get(cache).resolve("src");
    }

    private static List<Path> cacheCandidates() {
        Path dir = cacheDir();
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(PINNED_COMMIT.substring(0, 8)))
                    .filter(Files::isDirectory)
                    .sorted(Comparator.comparing(LlamaCppTree::modified).reversed())
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }
}
