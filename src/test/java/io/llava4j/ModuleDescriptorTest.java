package io.llava4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The module descriptor ({@code src/main/java/module-info.java}) as an application on the module
 * path gets it. The tests themselves run on the class path, where the descriptor is ignored, so
 * this test resolves the compiled module ({@code target/classes}, what the jar holds) and its
 * dependencies (from the test class path) into a fresh {@link ModuleLayer}: every {@code requires}
 * must be found under the name written there, and the exported and opened packages must be exactly
 * the ones below. Adding a package forces a choice between the two lists.
 */
class ModuleDescriptorTest {
    private static final String MODULE = "io.llava4j";

    /** The API: what applications compile against. */
    private static final Set<String> EXPORTED = Set.of(
            "io.llava4j",
            "io.llava4j.conversation",
            "io.llava4j.convert",
            "io.llava4j.convert.llava",
            "io.llava4j.gguf",
            "io.llava4j.image",
            "io.llava4j.model",
            "io.llava4j.pull",
            "io.llava4j.quantize",
            "io.llava4j.sampling",
            "io.llava4j.template",
            "io.llava4j.vision",
            "io.llava4j.vision.preprocess");

    /** Internal: the JNI binding and its owners, the CLI and its server, demo and test models, converter parts. */
    private static final Set<String> INTERNAL = Set.of(
            "io.llava4j.cli",
            "io.llava4j.cli.bench",
            "io.llava4j.cli.repl",
            "io.llava4j.cli.vqa",
            "io.llava4j.convert.checkpoint",
            "io.llava4j.convert.tokenizer",
            "io.llava4j.demo",
            "io.llava4j.nativeio",
            "io.llava4j.nativeio.bindings",
            "io.llava4j.nativeio.presets",
            "io.llava4j.serve",
            "io.llava4j.synthetic");

    /** Packages opened for reflection, and to whom. */
    private static final Map<String, Set<String>> OPENED = Map.of(
            "io.llava4j.cli", Set.of("info.picocli"),
            "io.llava4j.nativeio.bindings", Set.of("org.bytedeco.javacpp"),
            "io.llava4j.nativeio.presets", Set.of("org.bytedeco.javacpp"));

    @Test
    void exportsTheApiPackagesOnly() throws Exception {
        Module module = resolve();
        ModuleDescriptor d = module.getDescriptor();
        assertTrue(d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified), "qualified exports");
        Set<String> exported = d.exports().stream()
                .map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(EXPORTED), exported);
        Set<String> unlisted = new TreeSet<>(module.getPackages());
        unlisted.removeAll(EXPORTED);
        unlisted.removeAll(INTERNAL);
        assertEquals(Set.of(), unlisted, "packages neither exported nor listed as internal");
        for (String p : INTERNAL) {
            assertFalse(module.isExported(p), p + " must stay internal");
        }
    }

    @Test
    void opensOnlyWhatJavacppAndPicocliReflectOn() throws Exception {
        Module module = resolve();
        Map<String, Set<String>> opened = new TreeMap<>();
        for (ModuleDescriptor.Opens o : module.getDescriptor().opens()) {
            assertTrue(o.isQualified(), o.source() + " is opened to everyone");
            opened.put(o.source(), o.targets());
        }
        assertEquals(new TreeMap<>(OPENED), opened);
        ModuleLayer layer = module.getLayer();
        Module picocli = layer.findModule("info.picocli").orElseThrow();
        Module javacpp = layer.findModule("org.bytedeco.javacpp").orElseThrow();
        assertTrue(module.isOpen("io.llava4j.cli", picocli));
        assertTrue(module.isOpen("io.llava4j.nativeio.bindings", javacpp));
        assertFalse(module.isOpen("io.llava4j.nativeio", javacpp));
    }

    /** The compiled module and its dependencies, resolved in a layer of their own. */
    private static Module resolve() throws URISyntaxException {
        Path classes = Path.of(Llava4jException.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        assertTrue(Files.isRegularFile(classes.resolve("module-info.class")), "no module-info.class in " + classes);
        List<Path> path = new ArrayList<>(List.of(classes));
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        for (String entry : classpath.split(File.pathSeparator)) {
            if (entry.endsWith(".jar")) {
                path.add(Path.of(entry));
            }
        }
        ModuleLayer boot = ModuleLayer.boot();
        Configuration cf = boot.configuration()
                .resolve(ModuleFinder.of(path.toArray(Path[]::new)), ModuleFinder.of(), Set.of(MODULE));
        ModuleLayer layer = boot.defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());
        return layer.findModule(MODULE).orElseThrow();
    }
}
