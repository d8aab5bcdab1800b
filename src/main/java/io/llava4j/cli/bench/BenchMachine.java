package io.llava4j.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** A one-line description of this machine for the report: CPU model, cores, memory. */
public final class BenchMachine {
    private BenchMachine() {}

    public static String describe() {
        String cpu = System.getProperty("os.arch");
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).strip();
                    break;
                }
            }
        } catch (IOException | SecurityException e) {
            // not Linux: the architecture stands in
        }
        String memory = "";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kib = Long.parseLong(line.replaceAll("\\D", ""));
                    memory = String.format(Locale.ROOT, ", %.0f GiB", kib / 1024.0 / 1024.0);
                    break;
                }
            }
        } catch (IOException | SecurityException | NumberFormatException e) {
            // left out
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores" + memory;
    }
}
