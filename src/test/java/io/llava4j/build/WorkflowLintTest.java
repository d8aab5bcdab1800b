package io.llava4j.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GitHub Actions workflow that builds the Linux and macOS natives passes actionlint
 * ({@code scripts/lint-workflows}), and the linter does catch mistakes (a copy with two broken
 * expressions is rejected), so a pass means something.
 */
class WorkflowLintTest {
    @TempDir
    Path dir;

    record Result(int exit, String output) {}

    static Result lint(Path... files) throws Exception {
        var cmd = new java.util.ArrayList<String>();
        cmd.add("bash");
        cmd.add("scripts/lint-workflows");
        for (Path f : files) {
            cmd.add(f.toString());
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the linter hung");
        return new Result(p.exitValue(), out);
    }

    @Test
    void theBuildWorkflowIsClean() throws Exception {
        Path workflow = Path.of(".github/workflows/build.yml");
        String text = Files.readString(workflow);
        assertTrue(text.contains("macos-14") && text.contains("--backend metal"), "a macOS arm64 Metal job");
        assertTrue(text.contains("ubuntu-") && text.contains("linux-x86_64"), "a Linux x86-64 job");
        Result r = lint(workflow);
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("1 file(s), 0 problem(s)"), r.output());
    }

    @Test
    void brokenExpressionsAreCaught() throws Exception {
        String text = Files.readString(Path.of(".github/workflows/build.yml"))
                .replace("matrix.native-args", "matrix.nativeargs")
                .replace("runner.os == 'Linux'", "runner.oss == 'Linux'");
        Path broken = dir.resolve("broken.yml");
        Files.writeString(broken, text);
        Result r = lint(broken);
        assertEquals(1, r.exit(), r.output());
        assertTrue(
                r.output().contains("\"nativeargs\" is not defined")
                        && r.output().contains("\"oss\" is not defined"),
                r.output());
    }
}
