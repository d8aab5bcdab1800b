package io.llava4j.cli.bench;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs llama.cpp's {@code llama-mtmd-cli} once per call and reads the timings it prints: the CLIP
 * encode ({@code mtmd-cli.cpp}'s "mtmd batch encoding done in N ms", or older versions' {@code
 * mtmd-helper.cpp} "image slice encoded in N ms"), "image decoded (batch i/n) in N ms", and {@code
 * llama_perf_context_print}'s "load time", "prompt eval time" and "eval time". Library messages
 * at info level are printed only from verbosity 4 up ({@code common_log_get_verbosity} maps
 * {@code GGML_LOG_LEVEL_INFO} to trace), so the tool runs with {@code -lv 4}. Its peak resident set
 * is polled from {@code /proc/<pid>/status} ({@code VmHWM}) until it exits.
 */
public final class MtmdCli {
    private static final Pattern ENCODED =
            Pattern.compile("(?:mtmd batch encoding done|image slice encoded) in (\\d+) ms");
    private static final Pattern DECODED = Pattern.compile("image decoded \\(batch \\d+/\\d+\\) in (\\d+) ms");
    private static final Pattern LOAD = Pattern.compile("llama_perf_context_print:\\s+load time =\\s*([\\d.]+) ms");
    private static final Pattern PROMPT =
            Pattern.compile("llama_perf_context_print:\\s+prompt eval time =\\s*([\\d.]+) ms /\\s*(\\d+) tokens");
    private static final Pattern EVAL =
            Pattern.compile("llama_perf_context_print:\\s+eval time =\\s*([\\d.]+) ms /\\s*(\\d+) runs");
    private static final long POLL_MILLIS = 20;

    private final Path tool;
    private final List<String> args;
    private final long timeoutSeconds;

    /**
     * @param tool the {@code llama-mtmd-cli} executable
     * @param args its arguments
     * @param timeoutSeconds how long one run may take before it is killed
     */
    public MtmdCli(Path tool, List<String> args, long timeoutSeconds) {
        this.tool = tool;
        this.args = List.copyOf(args);
        this.timeoutSeconds = timeoutSeconds;
    }

    /** The command line, for the report. */
    public List<String> command() {
        List<String> cmd = new ArrayList<>();
        cmd.add(tool.toString());
        cmd.addAll(args);
        cmd.addAll(List.of("-lv", "4"));
        return cmd;
    }

    /**
     * One run of the tool.
     *
     * @throws Llava4jException {@code IO} if it cannot be started, {@code NATIVE} if it fails, times
     *     out or prints no timings (with the end of its output)
     */
    public MtmdSample run() {
        Path log = null;
        try {
            log = Files.createTempFile("llava4j-bench-mtmd", ".log");
            ProcessBuilder pb = toolProcess(command(), log);
            long t0 = System.nanoTime();
            Process p = pb.start();
            long peakKib = 0;
            long deadline = t0 + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            while (!p.waitFor(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                OptionalLong kib = PeakRss.peakKib(p.pid());
                if (kib.isPresent()) {
                    peakKib = Math.max(peakKib, kib.getAsLong());
                }
                if (System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new Llava4jException(
                            Code.NATIVE, tool.getFileName() + " did not finish in " + timeoutSeconds + " s");
                }
            }
            double wallMs = (System.nanoTime() - t0) / 1e6;
            String output = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new Llava4jException(
                        Code.NATIVE,
                        tool.getFileName() + " exited with status " + p.exitValue() + "; its output ends:\n"
                                + tail(output));
            }
            return parse(output, peakKib / 1024.0, wallMs);
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, "cannot run " + tool + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Llava4jException(Code.CANCELLED, "interrupted while " + tool.getFileName() + " ran", e);
        } finally {
            if (log != null) {
                log.toFile().delete();
            }
        }
    }

    /**
     * Reads the timings from the tool's output (stdout and stderr together).
     *
     * @param peakRssMib the peak resident set measured while it ran
     * @param wallMs the run's wall-clock time, start to exit
     * @throws Llava4jException {@code NATIVE} naming the line that is missing
     */
    public static MtmdSample parse(String output, double peakRssMib, double wallMs) {
        double encode = sum(ENCODED, output, "mtmd batch encoding done in N ms");
        double decode = sum(DECODED, output, "image decoded (batch i/n) in N ms");
        Matcher load = find(LOAD, output, "load time");
        Matcher prompt = find(PROMPT, output, "prompt eval time");
        Matcher eval = find(EVAL, output, "eval time");
        return new MtmdSample(
                Double.parseDouble(load.group(1)),
                encode,
                decode,
                Integer.parseInt(prompt.group(2)),
                Double.parseDouble(prompt.group(1)),
                Integer.parseInt(eval.group(2)),
                Double.parseDouble(eval.group(1)),
                peakRssMib,
                wallMs);
    }

    private static double sum(Pattern p, String output, String what) {
        Matcher m = p.matcher(output);
        double total = 0;
        boolean found = false;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
            found = true;
        }
        if (!found) {
            throw missing(what, output);
        }
        return total;
    }

    private static Matcher find(Pattern p, String output, String what) {
        Matcher m = p.matcher(output);
        if (!m.find()) {
            throw missing(what, output);
        }
        return m;
    }

    private static Llava4jException missing(String what, String output) {
        return new Llava4jException(
                Code.NATIVE,
                "cannot read llama-mtmd-cli's timings: no \"" + what + "\" line in its output (a llama-mtmd-cli of"
                        + " another llama.cpp version, or not llama-mtmd-cli?); its output ends:\n" + tail(output));
    }

    /**
     * A llama.cpp tool's process: no input, stdout and stderr together into {@code log}, and none of
     * the environment variables that change its options behind the command line ({@code LLAMA_ARG_*}
     * set a default for every option not given, {@code MTMD_*} add output).
     */
    static ProcessBuilder toolProcess(List<String> command, Path log) {
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LLAMA_ARG_") || k.startsWith("MTMD_"));
        return pb;
    }

    /** The last 15 lines of a tool's output. */
    static String tail(String output) {
        String[] lines = output.strip().split("\n");
        int from = Math.max(0, lines.length - 15);
        return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
    }
}
