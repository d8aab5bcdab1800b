package io.llava4j.nativeio;

import io.llava4j.Llava4jException;
import io.llava4j.nativeio.bindings.LlamaLib;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the native library once per JVM, initialises llama.cpp's backends and routes the native
 * logs (llama.cpp, ggml and the CLIP encoder) to SLF4J.
 *
 * <p>Loading is layered: by default the JNI library bundled in the jar (or in {@code
 * target/classes}) is used; the system property {@value #LIBRARY_PROPERTY} points at an external
 * build instead (a directory holding {@code libjnillava4j.so}/{@code .dylib}, or the file itself),
 * whose directory also holds llama.cpp's shared libraries and the ggml backend modules to load.
 * A failure says what was searched and how to fix it.
 *
 * <p>Thread-safe; every owner class calls {@link #ensureLoaded()} before its first native call.
 */
public final class NativeLibrary {
    /** System property naming an external JNI library (file or directory). */
    public static final String LIBRARY_PROPERTY = "llava4j.library.path";

    private static final Logger LOG = LoggerFactory.getLogger(NativeLibrary.class);
    private static volatile boolean loaded;
    private static Path backendDir;
    private static List<String> loadedModules = List.of();

    private NativeLibrary() {}

    /**
     * Loads the library and initialises the backends on first call; later calls return at once.
     *
     * @throws Llava4jException with code {@code NATIVE_LIBRARY} when the library cannot be loaded
     */
    public static void ensureLoaded() {
        if (loaded) {
            return;
        }
        synchronized (NativeLibrary.class) {
            if (loaded) {
                return;
            }
            configureMemoryAccounting();
            String external = System.getProperty(LIBRARY_PROPERTY);
            if (external == null || external.isBlank()) {
                CpuFeatures.checkBuild(buildInfo());
            }
            Path externalDir = null;
            try {
                if (external != null && !external.isBlank()) {
                    Path path = Path.of(external);
                    if (Files.isDirectory(path)) {
                        path = path.resolve(System.mapLibraryName("jnillava4j"));
                    }
                    if (!Files.isRegularFile(path)) {
                        throw new Llava4jException(
                                Llava4jException.Code.NATIVE_LIBRARY,
                                "-D" + LIBRARY_PROPERTY + "=" + external + ": no native library at " + path);
                    }
                    System.load(path.toAbsolutePath().toString());
                    externalDir = path.toAbsolutePath().getParent();
                    // The binding's native methods (JavaCPP's own included) now resolve to this
                    // library; JavaCPP must not look for, or load, a second copy from the jar.
                    System.setProperty("org.bytedeco.javacpp.loadLibraries", "false");
                }
                Loader.load(LlamaLib.class);
                loadBackends(externalDir);
            } catch (UnsatisfiedLinkError | RuntimeException | IOException e) {
                if (e instanceof Llava4jException le) {
                    throw le;
                }
                throw new Llava4jException(
                        Llava4jException.Code.NATIVE_LIBRARY,
                        "cannot load the llava4j native library for " + Loader.getPlatform()
                                + " (searched: " + (external != null ? external + ", " : "")
                                + "the classpath resource "
                                + NativeLibrary.class.getPackageName().replace('.', '/')
                                + "/" + Loader.getPlatform() + "/, java.library.path). Build it with"
                                + " `mvn -DskipTests package` or point -D" + LIBRARY_PROPERTY
                                + " at a build: " + e.getMessage(),
                        e);
            }
            LlamaLib.llama_backend_init();
            loaded = true;
            LOG.debug(
                    "native library loaded: {}, shim {}",
                    LlamaLib.llama_print_system_info().getString(),
                    LlamaLib.llava4j_shim_version().getString());
            Backends.logLoaded();
            Backends.warnAboutModulesNotLoaded(backendDir, loadedModules);
        }
    }

    /**
     * Has ggml load its backend modules: the CPU variant that fits this CPU best, and the GPU/RPC
     * modules that were built. They come from {@code externalDir} (the directory of a library
     * named by {@value #LIBRARY_PROPERTY}) or, by default, from the jar: each module listed in
     * {@code backends.txt} is extracted beside the JNI library by JavaCPP's cache.
     */
    private static void loadBackends(Path externalDir) throws java.io.IOException {
        NativeLog.install();
        Path dir = externalDir;
        List<String> modules;
        if (dir == null) {
            String folder = Loader.getPlatform() + "/";
            modules = moduleList(NativeLibrary.class.getResourceAsStream(folder + "backends.txt"));
            if (modules.isEmpty()) {
                throw new Llava4jException(
                        Llava4jException.Code.NATIVE_LIBRARY,
                        "the jar lists no ggml backend"
                                + " modules ("
                                + NativeLibrary.class.getPackageName().replace('.', '/') + "/" + folder
                                + "backends.txt): it was built without them");
            }
            for (String module : modules) {
                dir = Loader.cacheResource(NativeLibrary.class, folder + module)
                        .toPath()
                        .getParent();
            }
        } else {
            Path list = dir.resolve("backends.txt");
            if (Files.isRegularFile(list)) {
                modules = moduleList(Files.newInputStream(list));
            } else {
                try (var files = Files.list(dir)) {
                    modules = files.map(f -> f.getFileName().toString())
                            .filter(n -> n.startsWith("libggml-")
                                    && !n.startsWith("libggml-base")
                                    && (n.endsWith(".so") || n.endsWith(".dll")))
                            .sorted()
                            .toList();
                }
            }
        }
        backendDir = dir.toAbsolutePath();
        try (BytePointer path = new BytePointer(backendDir.toString());
                BytePointer names = new BytePointer(String.join("\n", modules));
                IntPointer count = new IntPointer(1)) {
            try {
                NativeErrors.checkShim(
                        LlamaLib.llava4j_backends_load(path, names, count),
                        "loading ggml backends " + modules + " from " + dir);
            } catch (Llava4jException e) {
                throw new Llava4jException(Llava4jException.Code.NATIVE_LIBRARY, e.getMessage(), e);
            }
        }
        loadedModules = List.copyOf(modules);
    }

    /** The directory the backend modules were loaded from (null before loading). */
    static Path backendDirectory() {
        ensureLoaded();
        return backendDir;
    }

    /** The backend modules that were to be loaded (file names in {@link #backendDirectory()}). */
    static List<String> backendModules() {
        ensureLoaded();
        return loadedModules;
    }

    /** The module names of a backends.txt, one a line; empty when there is none. */
    private static List<String> moduleList(InputStream in) throws IOException {
        if (in == null) {
            return List.of();
        }
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .map(String::strip)
                    .filter(l -> !l.isEmpty())
                    .toList();
        }
    }

    /**
     * JavaCPP counts memory-mapped model files towards its physical-memory limit and may refuse
     * allocations or trigger GC storms on multi-GB models; llava4j's native memory is owned by
     * llama.cpp, so the limit is lifted unless the user set one.
     */
    private static void configureMemoryAccounting() {
        if (System.getProperty("org.bytedeco.javacpp.maxPhysicalBytes") == null) {
            System.setProperty("org.bytedeco.javacpp.maxPhysicalBytes", "0");
        }
        if (System.getProperty("org.bytedeco.javacpp.maxBytes") == null) {
            System.setProperty("org.bytedeco.javacpp.maxBytes", "0");
        }
    }

    /**
     * The description of the bundled native build ({@code build-info.txt}: backend, cpu level,
     * CMake flags, the CPU features it needs), or "" when the jar has none.
     */
    public static String buildInfo() {
        try (InputStream in = NativeLibrary.class.getResourceAsStream(Loader.getPlatform() + "/build-info.txt")) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** llama.cpp's description of the CPU features and backends compiled in. */
    public static String systemInfo() {
        ensureLoaded();
        return LlamaLib.llama_print_system_info().getString();
    }

    /** Whether a GPU backend (CUDA, Metal) is compiled in and can take offloaded layers. */
    public static boolean supportsGpuOffload() {
        ensureLoaded();
        return LlamaLib.llama_supports_gpu_offload();
    }
}
