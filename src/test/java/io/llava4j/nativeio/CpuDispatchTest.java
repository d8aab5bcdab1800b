package io.llava4j.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.llava4j.conversation.Chat;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.sampling.SamplerConfig;
import io.llava4j.testmodels.TinyModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One native build for every x86-64 CPU: ggml's CPU backend is a set of modules, one per CPU
 * generation, and the best one this CPU can run is loaded. Checked against a mirror of ggml's
 * scoring ({@code ggml_backend_cpu_x86_score}, arch/x86/cpu-feats.cpp) fed by /proc/cpuinfo, and
 * by loading a build with only the baseline module, which runs anywhere.
 */
class CpuDispatchTest {
    @TempDir
    static Path dir;

    /** A variant's features: ggml's switch, its score weight, and the /proc/cpuinfo flags it checks. */
    record Feature(int weight, Set<String> flags) {}

    static final Map<String, Feature> FEATURES = Map.ofEntries(
            Map.entry("FMA", new Feature(1, Set.of("fma"))),
            Map.entry("F16C", new Feature(1 << 1, Set.of("f16c"))),
            Map.entry("SSE42", new Feature(1 << 2, Set.of("sse4_2"))),
            Map.entry("BMI2", new Feature(1 << 3, Set.of("bmi2"))),
            Map.entry("AVX", new Feature(1 << 4, Set.of("avx"))),
            Map.entry("AVX2", new Feature(1 << 5, Set.of("avx2"))),
            Map.entry("AVX_VNNI", new Feature(1 << 6, Set.of("avx_vnni"))),
            Map.entry("AVX512", new Feature(1 << 7, Set.of("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"))),
            Map.entry("AVX512_VBMI", new Feature(1 << 8, Set.of("avx512vbmi"))),
            Map.entry("AVX512_BF16", new Feature(1 << 9, Set.of("avx512_bf16"))),
            Map.entry("AVX512_VNNI", new Feature(1 << 10, Set.of("avx512_vnni"))),
            Map.entry("AMX_INT8", new Feature(1 << 11, Set.of("amx_int8"))));

    /** ggml's x86 variants (ggml/src/CMakeLists.txt, GGML_CPU_ALL_VARIANTS) and the switches each is built with. */
    static final Map<String, List<String>> VARIANTS = new LinkedHashMap<>();

    static {
        List<String> haswell = List.of("SSE42", "AVX", "F16C", "FMA", "AVX2", "BMI2");
        List<String> skylakex = concat(haswell, "AVX512");
        VARIANTS.put("x64", List.of());
        VARIANTS.put("sse42", List.of("SSE42"));
        VARIANTS.put("sandybridge", List.of("SSE42", "AVX"));
        VARIANTS.put("ivybridge", List.of("SSE42", "AVX", "F16C"));
        VARIANTS.put("piledriver", List.of("SSE42", "AVX", "F16C", "FMA"));
        VARIANTS.put("haswell", haswell);
        VARIANTS.put("skylakex", skylakex);
        VARIANTS.put("cannonlake", concat(skylakex, "AVX512_VBMI"));
        VARIANTS.put("cascadelake", concat(skylakex, "AVX512_VNNI"));
        VARIANTS.put("icelake", concat(skylakex, "AVX512_VBMI", "AVX512_VNNI"));
        VARIANTS.put("cooperlake", concat(skylakex, "AVX512_VNNI", "AVX512_BF16"));
        VARIANTS.put("zen4", concat(skylakex, "AVX512_VBMI", "AVX512_VNNI", "AVX512_BF16"));
        VARIANTS.put("alderlake", concat(haswell, "AVX_VNNI"));
        VARIANTS.put("sapphirerapids", concat(skylakex, "AVX512_VBMI", "AVX512_VNNI", "AVX512_BF16", "AMX_INT8"));
    }

    static List<String> concat(List<String> base, String... more) {
        List<String> out = new ArrayList<>(base);
        out.addAll(List.of(more));
        return out;
    }

    /** ggml's score of a variant on a CPU with these flags: 0 when it cannot run there. */
    static int score(List<String> features, Set<String> cpu) {
        int score = 1;
        for (String f : features) {
            Feature feature = FEATURES.get(f);
            if (!cpu.containsAll(feature.flags())) {
                return 0;
            }
            score += feature.weight();
        }
        return score;
    }

    private static boolean dispatchBuild() {
        return NativeLibrary.buildInfo().lines().anyMatch(l -> l.equals("cpu=dispatch"));
    }

    @Test
    void theBestVariantForThisCpuIsLoaded() {
        assumeTrue(System.getProperty("os.arch").matches("amd64|x86_64"), "x86-64 variants");
        assumeTrue(dispatchBuild(), "this build has one CPU module (-Dllava4j.cpu=" + "native or an ISA level)");
        Set<String> cpu = CpuFeatures.ofThisMachine().orElseThrow();
        List<String> built = NativeLibrary.buildInfo()
                .lines()
                .filter(l -> l.startsWith("backends="))
                .flatMap(l -> Stream.of(l.substring(9).split(" ")))
                .filter(m -> m.startsWith("libggml-cpu-"))
                .map(m -> m.substring("libggml-cpu-".length(), m.length() - ".so".length()))
                .toList();
        assertEquals(VARIANTS.keySet(), Set.copyOf(built), "the build holds upstream's x86 variants");
        String expected = VARIANTS.entrySet().stream()
                .max((a, b) -> Integer.compare(score(a.getValue(), cpu), score(b.getValue(), cpu)))
                .orElseThrow()
                .getKey();
        assertEquals(expected, Backends.cpuVariant().orElseThrow(), "ggml's choice for CPU flags " + cpu);
        // the chosen module reports the instruction sets it was built with
        Map<String, String> features = Backends.cpuFeatures();
        for (String f : VARIANTS.get(expected)) {
            String name = f.equals("SSE42") ? "SSE3" : f; // the CPU backend reports SSE3, not SSE4.2
            assertEquals("1", features.get(name), name + " in " + features);
        }
        assertTrue(Backends.backends().stream()
                .anyMatch(b -> b.name().equals("CPU")
                        && b.library()
                                .orElseThrow()
                                .getFileName()
                                .toString()
                                .equals("libggml-cpu-" + expected + ".so")));
    }

    @Test
    void aBuildWithOnlyTheBaselineModuleRunsAndSaysSo() throws Exception {
        assumeTrue(dispatchBuild(), "this build has one CPU module");
        Path natives = Path.of(NativeLibrary.class
                        .getResource(org.bytedeco.javacpp.Loader.getPlatform() + "/backends.txt")
                        .toURI())
                .getParent();
        Path external = Files.createDirectories(dir.resolve("baseline"));
        try (Stream<Path> s = Files.list(natives)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                String name = f.getFileName().toString();
                if (!name.startsWith("libggml-cpu-") || name.equals("libggml-cpu-x64.so")) {
                    Files.copy(f, external.resolve(name));
                }
            }
        }
        String out = childWith(external, TinyModels.llava15(dir.resolve("m"), 7));
        assertTrue(out.contains("variant x64\n"), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("answer ") && l.length() > "answer ".length()), out);
        assertFalse(out.contains("zen4") || out.contains("haswell"), out);
        assertFalse(out.contains("not-loaded"), "missing CPU variants are not reported: " + out);
    }

    /**
     * A GPU module whose runtime is missing (as libggml-cuda.so on a machine without the NVIDIA
     * driver): ggml skips it silently, llava4j says which module and why, and runs on the CPU. The
     * stand-in module needs a library that is deleted after linking.
     */
    @Test
    void aGpuModuleWithoutItsRuntimeIsReportedAndTheCpuCarriesOn() throws Exception {
        Path natives = Path.of(NativeLibrary.class
                        .getResource(org.bytedeco.javacpp.Loader.getPlatform() + "/backends.txt")
                        .toURI())
                .getParent();
        Path external = Files.createDirectories(dir.resolve("gpu-missing"));
        try (Stream<Path> s = Files.list(natives)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                Files.copy(f, external.resolve(f.getFileName()));
            }
        }
        Path build = Files.createDirectories(dir.resolve("fake-module"));
        Files.writeString(build.resolve("runtime.cpp"), "extern \"C\" int gpu_runtime_version() { return 13; }\n");
        Files.writeString(
                build.resolve("module.cpp"),
                "extern \"C\" int gpu_runtime_version();\n"
                        + "extern \"C\" int ggml_backend_score() { return gpu_runtime_version(); }\n");
        sh(build, "c++", "-shared", "-fPIC", "-o", "libfake-gpu-runtime.so", "runtime.cpp");
        sh(
                build,
                "c++",
                "-shared",
                "-fPIC",
                "-o",
                external.resolve("libggml-vulkan.so").toString(),
                "module.cpp",
                "-L.",
                "-lfake-gpu-runtime");
        Files.delete(build.resolve("libfake-gpu-runtime.so"));
        Files.writeString(
                external.resolve("backends.txt"), "libggml-vulkan.so\n", java.nio.file.StandardOpenOption.APPEND);

        String out = childWith(external, TinyModels.llava15(dir.resolve("m2"), 8));
        assertTrue(
                out.contains("backend module libggml-vulkan.so was not loaded, so its devices are not used:"
                        + " libfake-gpu-runtime.so: cannot open shared object file"),
                out);
        assertTrue(out.contains("\nnot-loaded libggml-vulkan.so\n"), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("answer ") && l.length() > "answer ".length()), out);
    }

    /** Runs {@link #main} in a child JVM on the natives in {@code external}; its output, after a clean exit. */
    private static String childWith(Path external, TinyModels.Pair pair) throws Exception {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        classpath,
                        "-D" + NativeLibrary.LIBRARY_PROPERTY + "=" + external,
                        CpuDispatchTest.class.getName(),
                        pair.lm().toString(),
                        pair.mmproj().toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM hung");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static void sh(Path cwd, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd)
                .directory(cwd.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + out);
    }

    /** Child JVM: prints the CPU variant, then answers one text question greedily. */
    public static void main(String[] args) {
        System.out.println("variant " + Backends.cpuVariant().orElse("?"));
        Backends.modulesNotLoaded().keySet().forEach(m -> System.out.println("not-loaded " + m.getFileName()));
        try (LlavaModel model = LlavaModel.open(Path.of(args[0]), Path.of(args[1]));
                Chat chat = model.newChat()) {
            chat.addUser("Hello");
            System.out.println("answer "
                    + chat.generate(
                                    GenerationSettings.defaults()
                                            .withSampler(SamplerConfig.greedy())
                                            .withMaxTokens(8),
                                    piece -> {})
                            .text()
                            .replace('\n', ' '));
        }
    }
}
