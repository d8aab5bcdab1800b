package io.llava4j.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.llava4j.nativeio.Backends;
import io.llava4j.nativeio.CpuFeatures;
import io.llava4j.nativeio.NativeLibrary;
import io.llava4j.nativeio.RpcServers;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** {@code llava4j info --system}: the CPU, the native build, ggml's backends and devices. */
final class SystemReport {
    /** The x86 instruction sets worth naming (of the dozens /proc/cpuinfo lists). */
    private static final Set<String> ISA = Set.of(
            "sse4_2",
            "avx",
            "avx2",
            "fma",
            "f16c",
            "bmi2",
            "avx_vnni",
            "avx512f",
            "avx512bw",
            "avx512vl",
            "avx512dq",
            "avx512cd",
            "avx512vbmi",
            "avx512_vnni",
            "avx512_bf16",
            "amx_tile",
            "amx_int8",
            "amx_bf16",
            "asimd",
            "asimddp",
            "sve",
            "sve2",
            "i8mm",
            "sme");

    private SystemReport() {}

    static int print(PrintWriter out, boolean json) throws IOException {
        String[] version = new VersionProvider().getVersion();
        Map<String, String> build = buildInfo();
        Set<String> cpuFlags = new TreeSet<>(CpuFeatures.ofThisMachine().orElse(Set.of()));
        cpuFlags.retainAll(ISA);
        List<Backends.Backend> backends = Backends.backends();
        List<Backends.Device> devices = Backends.devices();
        String variant = Backends.cpuVariant().orElse("?");
        Map<String, String> features = Backends.cpuFeatures();
        int rpc = RpcServers.protocolVersion();
        String rpcVersion = rpc == 0 ? "none" : (rpc >>> 16) + "." + ((rpc >>> 8) & 0xff) + "." + (rpc & 0xff);
        if (json) {
            try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
                g.useDefaultPrettyPrinter();
                g.writeStartObject();
                g.writeStringField("version", version[0]);
                g.writeStringField("llama_cpp", version[1]);
                g.writeObjectFieldStart("build");
                for (Map.Entry<String, String> e : build.entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
                g.writeArrayFieldStart("cpu_flags");
                for (String f : cpuFlags) {
                    g.writeString(f);
                }
                g.writeEndArray();
                g.writeStringField("cpu_variant", variant);
                g.writeObjectFieldStart("cpu_backend_features");
                for (Map.Entry<String, String> e : features.entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
                g.writeStringField("rpc_protocol", rpcVersion);
                g.writeArrayFieldStart("backends");
                for (Backends.Backend b : backends) {
                    g.writeStartObject();
                    g.writeStringField("name", b.name());
                    g.writeStringField(
                            "library", b.library().map(Object::toString).orElse(""));
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeArrayFieldStart("devices");
                for (Backends.Device d : devices) {
                    g.writeStartObject();
                    g.writeStringField("name", d.name());
                    g.writeStringField("description", d.description());
                    g.writeStringField("backend", d.backend());
                    g.writeStringField("type", d.type().name().toLowerCase(Locale.ROOT));
                    g.writeNumberField("free_bytes", d.freeBytes());
                    g.writeNumberField("total_bytes", d.totalBytes());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeObjectFieldStart("modules_not_loaded");
                for (Map.Entry<java.nio.file.Path, String> e :
                        Backends.modulesNotLoaded().entrySet()) {
                    g.writeStringField(e.getKey().getFileName().toString(), e.getValue());
                }
                g.writeEndObject();
                g.writeEndObject();
            }
            out.println();
        } else {
            out.printf(Locale.ROOT, "%s, %s%n", version[0], version[1]);
            out.printf(
                    Locale.ROOT,
                    "build:        backend=%s cpu=%s%s%n",
                    build.getOrDefault("backend", "?"),
                    build.getOrDefault("cpu", "?"),
                    build.containsKey("compiler") ? ", " + build.get("compiler") : "");
            out.printf(
                    Locale.ROOT, "this CPU:     %s%n", cpuFlags.isEmpty() ? "(unknown)" : String.join(" ", cpuFlags));
            out.printf(
                    Locale.ROOT,
                    "CPU backend:  variant %s; %s%n",
                    variant,
                    features.entrySet().stream()
                            .map(e -> e.getValue().equals("1") ? e.getKey() : e.getKey() + "=" + e.getValue())
                            .reduce((a, b) -> a + " " + b)
                            .orElse(""));
            out.printf(Locale.ROOT, "RPC protocol: %s%n", rpcVersion);
            out.printf(Locale.ROOT, "backends:%n");
            for (Backends.Backend b : backends) {
                out.printf(
                        Locale.ROOT,
                        "  %-12s %s%n",
                        b.name(),
                        b.library().map(Object::toString).orElse("(built in)"));
            }
            out.printf(Locale.ROOT, "devices:%n");
            for (Backends.Device d : devices) {
                out.printf(
                        Locale.ROOT,
                        "  %-12s %-5s %s, %s free of %s%n",
                        d.name(),
                        d.type().name().toLowerCase(Locale.ROOT).replace("integrated_gpu", "igpu"),
                        d.description(),
                        Sizes.bytes(d.freeBytes()),
                        Sizes.bytes(d.totalBytes()));
            }
            for (Map.Entry<java.nio.file.Path, String> e :
                    Backends.modulesNotLoaded().entrySet()) {
                out.printf(Locale.ROOT, "not loaded:   %s: %s%n", e.getKey().getFileName(), e.getValue());
            }
            if (Backends.gpus().isEmpty()) {
                out.printf(Locale.ROOT, "no GPU: everything runs on the CPU%n");
            }
        }
        out.flush();
        return 0;
    }

    /** build-info.txt as key=value (flags joined). */
    private static Map<String, String> buildInfo() {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String line : NativeLibrary.buildInfo().lines().toList()) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                out.merge(line.substring(0, eq), line.substring(eq + 1), (a, b) -> a + " " + b);
            }
        }
        out.remove("source");
        return out;
    }
}
