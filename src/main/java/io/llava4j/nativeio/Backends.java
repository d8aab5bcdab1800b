package io.llava4j.nativeio;

import io.llava4j.nativeio.bindings.LlamaLib;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What ggml loaded in this process: its backends (the CPU variant chosen for this CPU, CUDA, Metal,
 * RPC servers) and their devices with free memory. Read-only; the native library is loaded on
 * first use.
 */
public final class Backends {
    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);
    private static final String CPU_MODULE_PREFIX = "libggml-cpu";

    private Backends() {}

    /** A registered backend and the file its code came from (empty when unknown). */
    public record Backend(String name, Optional<Path> library) {}

    /** Kinds of device, as {@code enum ggml_backend_dev_type}. */
    public enum DeviceType {
        CPU,
        GPU,
        INTEGRATED_GPU,
        ACCELERATOR,
        META,
        UNKNOWN;

        static DeviceType of(int code) {
            DeviceType[] all = values();
            return code >= 0 && code < all.length - 1 ? all[code] : UNKNOWN;
        }

        /** Whether llama.cpp offloads layers to devices of this kind. */
        public boolean takesLayers() {
            return this == GPU || this == INTEGRATED_GPU;
        }
    }

    /**
     * A device of a backend.
     *
     * @param name ggml's device name ("CPU", "CUDA0", "RPC0[127.0.0.1:50052]")
     * @param description e.g. the CPU or GPU model
     * @param backend the name of the backend it belongs to
     * @param freeBytes memory free now, as the driver reports it (for the CPU: system memory)
     * @param totalBytes total memory
     */
    public record Device(
            String name, String description, String backend, DeviceType type, long freeBytes, long totalBytes) {}

    /** The registered backends, in ggml's order. */
    public static List<Backend> backends() {
        NativeLibrary.ensureLoaded();
        int n = LlamaLib.llava4j_backend_count();
        List<Backend> out = new ArrayList<>(n);
        try (BytePointer name = new BytePointer(256);
                BytePointer path = new BytePointer(4096)) {
            for (int i = 0; i < n; i++) {
                NativeErrors.checkShim(
                        LlamaLib.llava4j_backend_describe(i, name, name.capacity(), path, path.capacity()),
                        "describing backend " + i);
                String file = text(path);
                out.add(new Backend(text(name), file.isEmpty() ? Optional.empty() : Optional.of(Path.of(file))));
            }
        }
        return List.copyOf(out);
    }

    /** Every device of every registered backend, with the memory free at this moment. */
    public static List<Device> devices() {
        NativeLibrary.ensureLoaded();
        int n = LlamaLib.llava4j_device_count();
        List<Device> out = new ArrayList<>(n);
        try (BytePointer name = new BytePointer(256);
                BytePointer description = new BytePointer(512);
                BytePointer backend = new BytePointer(256);
                IntPointer type = new IntPointer(1);
                LongPointer free = new LongPointer(1);
                LongPointer total = new LongPointer(1)) {
            for (int i = 0; i < n; i++) {
                NativeErrors.checkShim(
                        LlamaLib.llava4j_device_describe(
                                i,
                                name,
                                name.capacity(),
                                description,
                                description.capacity(),
                                backend,
                                backend.capacity(),
                                type,
                                free,
                                total),
                        "describing device " + i);
                out.add(new Device(
                        text(name),
                        text(description),
                        text(backend),
                        DeviceType.of(type.get()),
                        free.get(),
                        total.get()));
            }
        }
        return List.copyOf(out);
    }

    /** The devices llama.cpp can offload layers to (GPUs; RPC servers once added). */
    public static List<Device> gpus() {
        return devices().stream().filter(d -> d.type().takesLayers()).toList();
    }

    /**
     * The CPU variant ggml chose for this CPU: the suffix of its module ({@code zen4} for
     * libggml-cpu-zen4.so), {@code "single"} for a build with one CPU module, empty when unknown.
     */
    public static Optional<String> cpuVariant() {
        return backends().stream()
                .filter(b -> b.name().equals("CPU"))
                .findFirst()
                .flatMap(Backend::library)
                .map(Backends::variantOf);
    }

    static String variantOf(Path module) {
        String file = module.getFileName().toString();
        int dot = file.indexOf('.');
        String stem = dot < 0 ? file : file.substring(0, dot);
        if (stem.startsWith(CPU_MODULE_PREFIX + "-")) {
            return stem.substring(CPU_MODULE_PREFIX.length() + 1);
        }
        return stem.equals(CPU_MODULE_PREFIX) ? "single" : stem;
    }

    /**
     * The instruction-set features of the CPU backend, as it reports them ({@code AVX2 -> 1},
     * {@code AVX512 -> 1}, ...), in its order.
     */
    public static Map<String, String> cpuFeatures() {
        NativeLibrary.ensureLoaded();
        Map<String, String> out = new LinkedHashMap<>();
        try (BytePointer buf = new BytePointer(4096)) {
            NativeErrors.checkShim(LlamaLib.llava4j_cpu_backend_features(buf, buf.capacity()), "reading CPU features");
            for (String item : text(buf).split(";")) {
                int eq = item.indexOf('=');
                if (eq > 0) {
                    out.put(item.substring(0, eq), item.substring(eq + 1));
                }
            }
        }
        return out;
    }

    /**
     * Of the non-CPU backend modules named (files in {@code dir}), those that did not register a
     * backend (a GPU module without its driver or runtime, say), each with the dynamic loader's
     * reason. Everything then runs on the backends that did load.
     */
    static Map<Path, String> modulesNotLoaded(Path dir, List<String> modules) {
        Map<Path, String> out = new LinkedHashMap<>();
        java.util.Set<Path> loaded = new java.util.HashSet<>();
        for (Backend b : backends()) {
            b.library().ifPresent(p -> loaded.add(p.getFileName()));
        }
        try (BytePointer why = new BytePointer(1024)) {
            for (String name : modules) {
                Path f = dir.resolve(name);
                if (name.startsWith(CPU_MODULE_PREFIX) || loaded.contains(f.getFileName())) {
                    continue;
                }
                try (BytePointer path = new BytePointer(f.toString())) {
                    NativeErrors.checkShim(
                            LlamaLib.llava4j_module_load_error(path, why, why.capacity()), "probing " + f);
                }
                String reason = text(why);
                out.put(f, reason.isEmpty() ? "it loads, but registered no backend (no device found?)" : reason);
            }
        }
        return out;
    }

    /**
     * The GPU/RPC modules of this build that registered no backend (their driver or runtime is
     * missing, say), each with the dynamic loader's reason.
     */
    public static Map<Path, String> modulesNotLoaded() {
        return modulesNotLoaded(NativeLibrary.backendDirectory(), NativeLibrary.backendModules());
    }

    static void warnAboutModulesNotLoaded(Path dir, List<String> modules) {
        if (dir == null) {
            return;
        }
        for (Map.Entry<Path, String> e : modulesNotLoaded(dir, modules).entrySet()) {
            LOG.warn(
                    "backend module {} was not loaded, so its devices are not used: {}",
                    e.getKey().getFileName(),
                    e.getValue());
        }
    }

    /** One INFO line: the backends, the CPU variant and the devices with their free memory. */
    static void logLoaded() {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        StringBuilder line = new StringBuilder("ggml backends:");
        for (Backend b : backends()) {
            line.append(' ').append(b.name());
            if (b.name().equals("CPU")) {
                b.library()
                        .map(Backends::variantOf)
                        .ifPresent(v -> line.append(" (").append(v).append(')'));
            }
        }
        line.append("; devices:");
        for (Device d : devices()) {
            line.append(String.format(
                    Locale.ROOT,
                    " %s [%s, %.1f/%.1f GiB free]",
                    d.name(),
                    d.description(),
                    d.freeBytes() / (double) (1L << 30),
                    d.totalBytes() / (double) (1L << 30)));
        }
        LOG.info(line.toString());
    }

    /** The NUL-terminated string a native call wrote into a buffer (its limit is the whole buffer). */
    static String text(BytePointer p) {
        byte[] bytes = p.getStringBytes();
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }
}
