package io.llava4j.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.model.LanguageModel;
import io.llava4j.model.ModelOptions;
import io.llava4j.testmodels.TinyModels;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code -Dllava4j.library.path} loads an external build of the JNI library (a CUDA build, say) and
 * nothing else: it works from a classpath that has no bundled library, and with one it maps only
 * the external file, never a second copy (two copies would mean two ggml states in one process).
 * Each case runs in a child JVM, since a JVM loads its native library once.
 */
class LibraryPathOverrideTest {
    @TempDir
    static Path dir;

    /** Child JVM entry point: tokenizes with the model given, prints the ids and every mapped copy of the library. */
    public static void main(String[] args) throws IOException {
        try (LanguageModel lm = LanguageModel.load(Path.of(args[0]), ModelOptions.vocabularyOnly())) {
            System.out.println("ids " + Arrays.toString(lm.vocabulary().tokenize("Hello world", true, false)));
        }
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            maps.filter(l -> l.contains("libjnillava4j"))
                    .map(l -> l.substring(l.indexOf('/')))
                    .distinct()
                    .forEach(p -> System.out.println("mapped " + p));
        }
    }

    @Test
    void anExternalLibraryIsTheOnlyCopyLoaded() throws Exception {
        Path model = TinyModels.llava15(dir.resolve("m"), 3).lm();
        Path bundled = bundledLibrary();
        Path external = Files.createDirectories(dir.resolve("external"));
        try (Stream<Path> natives = Files.list(bundled.getParent())) {
            for (Path f : (Iterable<Path>) natives::iterator) {
                Files.copy(f, external.resolve(f.getFileName()));
            }
        }
        String classesDir = bundled.getParent()
                .getParent()
                .getParent()
                .getParent()
                .getParent()
                .toString();

        // 1. the usual classpath, which bundles the library too
        List<String> out = child(classpath(), external, model);
        assertEquals(List.of("mapped " + external.resolve(bundled.getFileName()).toRealPath()), mapped(out), "" + out);

        // 2. a classpath without the bundled library (a jar shipped without natives)
        Path stripped = dir.resolve("classes");
        copyWithout(Path.of(classesDir), stripped, bundled.getParent());
        String cp = Arrays.stream(classpath().split(File.pathSeparator))
                .map(e -> e.equals(classesDir) ? stripped.toString() : e)
                .collect(Collectors.joining(File.pathSeparator));
        List<String> out2 = child(cp, external, model);
        assertEquals(mapped(out), mapped(out2), "" + out2);
        assertEquals(out.get(0), out2.get(0), "the same tokens");
        assertTrue(out.get(0).startsWith("ids [1, "), out.get(0));
    }

    /** The test classpath (surefire's manifest-only booter jar hides it from java.class.path). */
    private static String classpath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    private static List<String> mapped(List<String> out) {
        return out.stream().filter(l -> l.startsWith("mapped ")).collect(Collectors.toList());
    }

    private static Path bundledLibrary() throws IOException {
        Path classes = Path.of(LibraryPathOverrideTest.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .getPath())
                .getParent()
                .resolve("classes");
        try (Stream<Path> s = Files.walk(classes)) {
            return s.filter(p -> p.getFileName().toString().equals(System.mapLibraryName("jnillava4j")))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no bundled library under " + classes));
        }
    }

    private static void copyWithout(Path from, Path to, Path skip) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (p.startsWith(skip)) {
                    continue;
                }
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    private static List<String> child(String classpath, Path external, Path model) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                classpath,
                "-D" + NativeLibrary.LIBRARY_PROPERTY + "=" + external,
                "-Dorg.bytedeco.javacpp.cachedir=" + dir.resolve("javacpp-cache"),
                LibraryPathOverrideTest.class.getName(),
                model.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM hung");
        assertEquals(0, p.exitValue(), text);
        return text.lines()
                .filter(l -> l.startsWith("ids ") || l.startsWith("mapped "))
                .collect(Collectors.toList());
    }
}
