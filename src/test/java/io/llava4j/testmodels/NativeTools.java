package io.llava4j.testmodels;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * llama.cpp's own tools, built by {@code native/build.sh} from the same patched source as our
 * library ({@code ${llava4j.native.dir}/bin}), run as reference implementations.
 */
public final class NativeTools {
    /** Output of one tool run. */
    public record Result(int exitCode, byte[] stdout, String stderr) {}

    /** Runs of a generating tool before {@link #runToEnd} gives up on a whole stdout. */
    private static final int ATTEMPTS = 3;

    private NativeTools() {}

    /** Path of a tool, e.g. {@code tool("llama-completion")}; fails with how to build it. */
    public static Path tool(String name) {
        String dir = System.getProperty("llava4j.native.dir", "target/native");
        Path p = Path.of(dir, "bin", name);
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException(p + " is missing: build the native part with its tools"
                    + " (native/build.sh without --no-tools, which the Maven build runs)");
        }
        return p;
    }

    /** Runs a tool with a timeout, capturing stdout as bytes and stderr as text. */
    public static Result run(String name, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(tool(name).toString());
        cmd.addAll(List.of(args));
        try {
            ProcessBuilder pb =
                    new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().keySet().removeIf(NativeTools::changesToolOutput);
            Process p = pb.start();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread drain = new Thread(() -> copy(p.getErrorStream(), err));
            drain.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(name + " did not finish in 5 minutes");
            }
            drain.join();
            return new Result(p.exitValue(), out, err.toString(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs a generating tool ({@code llama-completion}, {@code llama-mtmd-cli}) and returns a run
     * whose stdout is whole. Both print the generated text through llama.cpp's asynchronous log
     * (common/log.cpp), whose writer thread is not joined at exit ("logs may be lost if not flushed
     * before the program exits", llama.cpp issue 22142): with both cores of a 2-core machine busy, 1
     * run of llama-completion in 12 lost its last token. Both tools end stdout with {@code LOG("\n\n")} after the text, and
     * one thread writes the log in order, so a stdout that ends so holds every token; a run that
     * exited before that is run again, at most {@value #ATTEMPTS} times in all. A failed run (exit
     * code not 0) is returned as it is.
     *
     * @throws IllegalStateException if every attempt exited before its output was written
     */
    public static Result runToEnd(String name, String... args) {
        Result r = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            r = run(name, args);
            if (r.exitCode() != 0 || endsWithBlankLine(r.stdout())) {
                return r;
            }
        }
        throw new IllegalStateException(name + " exited before its log thread wrote the end of stdout (\\n\\n), "
                + ATTEMPTS + " times; last stdout: " + new String(r.stdout(), java.nio.charset.StandardCharsets.UTF_8)
                + "\nstderr: " + r.stderr());
    }

    private static boolean endsWithBlankLine(byte[] out) {
        int n = out.length;
        return n >= 2 && out[n - 1] == '\n' && out[n - 2] == '\n';
    }

    /**
     * Environment variables that llama.cpp's tools read but our binding does not, so a developer's
     * or CI runner's settings would make the reference differ from what it is compared with:
     * {@code LLAMA_ARG_*} (common/arg.cpp: the default of every option not on the command line, e.g.
     * {@code LLAMA_ARG_FLASH_ATTN}, {@code LLAMA_ARG_BATCH}, {@code LLAMA_ARG_CACHE_TYPE_K}) and
     * {@code MTMD_*} ({@code MTMD_TEST_RESPONSE_MARKER} adds a line to llama-mtmd-cli's stdout).
     * {@code GGML_*} and other library switches stay: they act on our process the same way.
     */
    static boolean changesToolOutput(String name) {
        return name.startsWith("LLAMA_ARG_") || name.startsWith("MTMD_");
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException ignored) {
            // the process died; its exit code tells the story
        }
    }
}
