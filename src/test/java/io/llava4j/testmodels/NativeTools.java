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
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
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

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException ignored) {
            // the process died; its exit code tells the story
        }
    }
}
