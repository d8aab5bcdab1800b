package io.llava4j.nativeio;

import io.llava4j.Llava4jException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The instruction sets of this machine's CPU, as Linux reports them ({@code /proc/cpuinfo}), and
 * the check that a native build's needs are met. A build made with {@code -march=native} on one CPU
 * executes instructions another CPU may lack; loading it there would end the JVM with SIGILL at the
 * first such instruction, so it is refused with a message instead.
 */
public final class CpuFeatures {
    private static final Path CPUINFO = Path.of("/proc/cpuinfo");

    private CpuFeatures() {}

    /** The feature flags of the first CPU ({@code flags} on x86, {@code Features} on Arm), if Linux says. */
    public static Optional<Set<String>> ofThisMachine() {
        if (!Files.isReadable(CPUINFO)) {
            return Optional.empty();
        }
        try {
            List<String> lines = Files.readAllLines(CPUINFO);
            for (String line : lines) {
                if (line.startsWith("flags") || line.startsWith("Features")) {
                    int colon = line.indexOf(':');
                    if (colon > 0) {
                        return Optional.of(words(line.substring(colon + 1)));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /**
     * Throws when {@code buildInfo}'s {@code cpu-features=} line names a flag this CPU lacks. Silent
     * when either side is unknown (no such line, not Linux).
     *
     * @throws Llava4jException {@code NATIVE_LIBRARY}, naming the missing instructions and the fix
     */
    static void checkBuild(String buildInfo) {
        ofThisMachine().ifPresent(have -> check(have, buildInfo));
    }

    /**
     * Throws when {@code buildInfo}'s {@code cpu-features=} line names a flag missing from {@code
     * have}; silent when the build names none.
     *
     * @throws Llava4jException {@code NATIVE_LIBRARY}, naming the missing instructions and the fix
     */
    static void check(Set<String> have, String buildInfo) {
        Set<String> missing = new TreeSet<>(required(buildInfo));
        missing.removeAll(have);
        if (!missing.isEmpty()) {
            throw new Llava4jException(
                    Llava4jException.Code.NATIVE_LIBRARY,
                    "the bundled llava4j native library was"
                            + " built for a CPU with " + String.join(", ", missing)
                            + ", which this CPU lacks: rebuild it here"
                            + " (mvn -DskipTests package), or build a jar for every CPU with -Dllava4j.cpu=dispatch (the"
                            + " default: the best kernels are picked at load), or point -D"
                            + NativeLibrary.LIBRARY_PROPERTY + " at a matching build");
        }
    }

    /** The flags of the {@code cpu-features=} line of a build-info text. */
    static Set<String> required(String buildInfo) {
        return buildInfo
                .lines()
                .filter(l -> l.startsWith("cpu-features="))
                .findFirst()
                .map(l -> words(l.substring("cpu-features=".length())))
                .orElse(Set.of());
    }

    private static Set<String> words(String s) {
        return Arrays.stream(s.trim().split("\\s+"))
                .filter(w -> !w.isEmpty())
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
