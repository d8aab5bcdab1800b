package io.llava4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.gguf.GgmlType;
import io.llava4j.gguf.GgufReader;
import io.llava4j.testmodels.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code llava4j quantize}: report on stdout, progress and notes on stderr, exit codes, --force. */
class QuantizeCommandTest {
    @TempDir
    static Path dir;

    static TinyModels.Pair pair;

    @BeforeAll
    static void writeModels() {
        pair = TinyModels.llava15(dir.resolve("src"), 17);
    }

    @Test
    void quantizesALanguageModelWithProgressOnStderrAndTheReportOnStdout() {
        Path out = dir.resolve("lm-q8.gguf");
        CliRunner.Result r = CliRunner.run("quantize", pair.lm().toString(), out.toString(), "q8_0");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("wrote " + out + " (language model Q8_0): "), r.out());
        assertTrue(r.out().contains("% of the input)") && r.out().contains("tensor types: f32 "), r.out());
        assertTrue(r.err().contains("quantizing lm.gguf to Q8_0") && r.err().contains("100%"), r.err());
        assertFalse(r.out().contains("100%"), "progress stays off stdout");
        assertTrue(GgufReader.read(out).tensor("blk.0.attn_q.weight").type() == GgmlType.Q8_0);
    }

    @Test
    void reportsMmprojFallbacksOnStderr() {
        Path out = dir.resolve("mm-q4km.gguf");
        CliRunner.Result r = CliRunner.run("quantize", pair.mmproj().toString(), out.toString(), "Q4_K_M");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("(mmproj Q4_K_M)"), r.out());
        assertTrue(r.err().contains("matrices have rows that do not split into whole blocks"), r.err());
        assertTrue(r.err().contains("mm.0.weight (32 columns): q4_K -> q5_0"), r.err());
    }

    @Test
    void unknownTypeIsAUsageErrorListingTheValidTypes() {
        CliRunner.Result r = CliRunner.run(
                "quantize", pair.lm().toString(), dir.resolve("x.gguf").toString(), "Q3_K");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("Q4_0, Q4_K_M, Q5_0, Q5_K_M, Q8_0, F16"), r.err());
        assertFalse(Files.exists(dir.resolve("x.gguf")));
    }

    @Test
    void existingOutputIsKeptWithoutForceAndReplacedWithIt() throws IOException {
        Path out = dir.resolve("taken.gguf");
        Files.writeString(out, "precious");
        CliRunner.Result refused = CliRunner.run("quantize", pair.mmproj().toString(), out.toString(), "F16");
        assertEquals(1, refused.exitCode());
        assertTrue(
                refused.err().contains("taken.gguf already exists")
                        && refused.err().contains("--force"),
                refused.err());
        assertEquals("precious", Files.readString(out));

        CliRunner.Result forced =
                CliRunner.run("quantize", "--force", pair.mmproj().toString(), out.toString(), "F16");
        assertEquals(0, forced.exitCode(), forced.err());
        assertEquals(GgmlType.F16, GgufReader.read(out).tensor("mm.0.weight").type());
    }

    @Test
    void inputAsOutputAndMissingInputAreErrorsNamingTheFile() {
        CliRunner.Result same =
                CliRunner.run("quantize", "-f", pair.lm().toString(), pair.lm().toString(), "Q4_0");
        assertEquals(1, same.exitCode());
        assertTrue(same.err().contains("is the input file"), same.err());

        CliRunner.Result missing = CliRunner.run(
                "quantize", "/nonexistent/in.gguf", dir.resolve("y.gguf").toString(), "Q4_0");
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("/nonexistent/in.gguf"), missing.err());
        assertEquals("", missing.out());
    }

    @Test
    void missingArgumentsAreAUsageError() {
        CliRunner.Result r = CliRunner.run("quantize", pair.lm().toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("OUT.gguf"), r.err());
    }
}
