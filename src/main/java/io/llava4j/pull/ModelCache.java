package io.llava4j.pull;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where pulled models live: {@code ROOT/owner/repo/path/in/repo}. A file is there only once it
 * was downloaded completely and its checksum matched; downloads in progress are {@code .part}
 * files beside it.
 *
 * <p>The root is, first found: the system property {@value #ROOT_PROPERTY}, the environment
 * variable {@value #ROOT_ENV}, {@code $XDG_CACHE_HOME/llava4j/models}, {@code
 * ~/.cache/llava4j/models}.
 *
 * @param root the cache folder (need not exist yet)
 */
public record ModelCache(Path root) {
    /** System property naming the cache folder. */
    public static final String ROOT_PROPERTY = "llava4j.models";
    /** Environment variable naming the cache folder. */
    public static final String ROOT_ENV = "LLAVA4J_MODELS";

    public ModelCache {
        root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    }

    /** The cache of this process's settings (see the class comment). */
    public static ModelCache fromEnvironment() {
        return fromEnvironment(System.getProperty(ROOT_PROPERTY), System.getenv());
    }

    /** The cache for an explicit property value (null if unset) and environment: testable resolution. */
    static ModelCache fromEnvironment(String property, Map<String, String> env) {
        if (property != null && !property.isBlank()) {
            return new ModelCache(Path.of(property));
        }
        String fromEnv = env.get(ROOT_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new ModelCache(Path.of(fromEnv));
        }
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return new ModelCache(base.resolve("llava4j").resolve("models"));
    }

    /** Where a hub file is (or will be) stored. */
    public Path path(HfFile file) {
        Path p = root;
        for (String part : file.repo().split("/")) {
            p = p.resolve(part);
        }
        for (String part : file.path().split("/")) {
            p = p.resolve(part);
        }
        return p;
    }
}
