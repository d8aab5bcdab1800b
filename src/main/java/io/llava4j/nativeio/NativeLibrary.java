package io.llava4j.nativeio;

import io.llava4j.Llava4jException;
import io.llava4j.nativeio.bindings.LlamaLib;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the native library once per JVM, initialises llama.cpp's backends and routes the native
 * logs (llama.cpp, ggml and the CLIP encoder) to SLF4J.
 *
 * <p>Loading is layered: by default the JNI library bundled in the jar (or in {@code
 * target/classes}) is used; the system property {@value #LIBRARY_PROPERTY} points at an external
 * build instead (a directory holding {@code libjnillava4j.so}/{@code .dylib}, or the file itself).
 * A failure says what was searched and how to fix it.
 *
 * <p>Thread-safe; every owner class calls {@link #ensureLoaded()} before its first native call.
 */
public final class NativeLibrary {
    /** System property naming an external JNI library (file or directory). */
    public static final String LIBRARY_PROPERTY = "llava4j.library.path";

    private static final Logger LOG = LoggerFactory.getLogger(NativeLibrary.class);
    private static volatile boolean loaded;

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
            try {
                if (external != null && !external.isBlank()) {
                    Path path = Path.of(external);
                    if (Files.isDirectory(path)) {
                        path = path.resolve(System.mapLibraryName("jnillava4j"));
                    }
                    if (!Files.isRegularFile(path)) {
                        throw new Llava4jException(Llava4jException.Code.NATIVE_LIBRARY,
                                "-D" + LIBRARY_PROPERTY + "=" + external + ": no native library at " + path);
                    }
                    System.load(path.toAbsolutePath().toString());
                    // The binding's native methods (JavaCPP's own included) now resolve to this
                    // library; JavaCPP must not look for, or load, a second copy from the jar.
                    System.setProperty("org.bytedeco.javacpp.loadLibraries", "false");
                }
                Loader.load(LlamaLib.class);
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                if (e instanceof Llava4jException le) {
                    throw le;
                }
                throw new Llava4jException(Llava4jException.Code.NATIVE_LIBRARY,
                        "cannot load the llava4j native library for " + Loader.getPlatform()
                                + " (searched: " + (external != null ? external + ", " : "")
                                + "the classpath resource " + NativeLibrary.class.getPackageName().replace('.', '/')
                                + "/" + Loader.getPlatform() + "/, java.library.path). Build it with"
                                + " `mvn -DskipTests package` or point -D" + LIBRARY_PROPERTY
                                + " at a build: " + e.getMessage(),
                        e);
            }
            NativeLog.install();
            LlamaLib.llama_backend_init();
            LOG.debug("native library loaded: {}, shim {}", LlamaLib.llama_print_system_info().getString(),
                    LlamaLib.llava4j_shim_version().getString());
            loaded = true;
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
        try (InputStream in = NativeLibrary.class.getResourceAsStream("build-info.txt")) {
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
