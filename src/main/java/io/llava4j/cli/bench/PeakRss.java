package io.llava4j.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Resident memory from Linux's {@code /proc/<pid>/status}: {@code VmHWM} is the peak resident set
 * since the process started or since its high-water mark was last reset (writing {@code 5} to
 * {@code /proc/<pid>/clear_refs}, Linux 4.0+), {@code VmRSS} the current one. Elsewhere every
 * value is absent.
 */
public final class PeakRss {
    private PeakRss() {}

    /** The peak resident set of process {@code pid} in KiB, if it can be read. */
    public static OptionalLong peakKib(long pid) {
        return field(Path.of("/proc", Long.toString(pid), "status"), "VmHWM:");
    }

    /** This process's peak resident set in KiB, if it can be read. */
    public static OptionalLong selfPeakKib() {
        return field(Path.of("/proc/self/status"), "VmHWM:");
    }

    /**
     * Resets this process's peak to its current resident set, so that the next {@link
     * #selfPeakKib()} is the peak of what runs in between.
     *
     * @return whether the kernel accepted it
     */
    public static boolean resetSelf() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return false;
        }
    }

    static OptionalLong field(Path status, String name) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith(name)) {
                    String v = line.substring(name.length()).strip();
                    int space = v.indexOf(' ');
                    return OptionalLong.of(Long.parseLong(space < 0 ? v : v.substring(0, space)));
                }
            }
        } catch (IOException | NumberFormatException | SecurityException e) {
            // the process is gone or this is not Linux
        }
        return OptionalLong.empty();
    }
}
