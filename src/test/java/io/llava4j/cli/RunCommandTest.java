package io.llava4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.testmodels.ClipSpec;
import io.llava4j.testmodels.NativeTools;
import io.llava4j.testmodels.TinyModels;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code llava4j run} end to end on a generated LLaVA-1.5 pair: parity with llama.cpp's
 * {@code llama-mtmd-cli} at temperature 0, what goes to stdout and stderr, options, bad inputs.
 */
class RunCommandTest {
    private static final String QUESTION = "What is in the image?";
    private static final String S_HUMAN = "A chat between a curious human and an artificial intelligence assistant."
            + " The assistant gives helpful, detailed, and polite answers to the human's questions.";

    @TempDir
    static Path dir;
    static TinyModels.Pair pair;
    static Path square;

    @BeforeAll
    static void setUp() throws IOException {
        pair = TinyModels.llava15(dir, 31);
        BufferedImage img = new BufferedImage(336, 336, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 336; y++) {
            for (int x = 0; x < 336; x++) {
                img.setRGB(x, y, (x * 255 / 335) << 16 | (y * 255 / 335) << 8 | ((x ^ y) & 0xff));
            }
        }
        square = dir.resolve("square.png");
        ImageIO.write(img, "png", square.toFile());
    }

    private static List<String> args(String... extra) {
        List<String> a = new ArrayList<>(List.of("run", "-m", pair.lm().toString(), "--mmproj", pair.mmproj().toString(),
                "--image", square.toString(), "-p", QUESTION, "-t", "2", "--ctx", "2048"));
        a.addAll(List.of(extra));
        return a;
    }

    private static CliRunner.Result run(String... extra) {
        return CliRunner.run(args(extra).toArray(String[]::new));
    }

    private static int generatedTokens(String stderr) {
        Matcher m = Pattern.compile("generated (\\d+) tokens").matcher(stderr);
        assertTrue(m.find(), stderr);
        return Integer.parseInt(m.group(1));
    }

    /** The same question through llama-mtmd-cli, with a Jinja template that renders llava_v1 exactly. */
    @Test
    void greedyAnswerEqualsLlamaMtmdCli() throws IOException {
        CliRunner.Result ours = run("--temp", "0", "-n", "24", "--template", "llava_v1");
        assertEquals(0, ours.exitCode(), ours.err());
        String jinja = "{{- '" + S_HUMAN.replace("'", "\\'") + "' -}}"
                + "{%- for m in messages -%}{%- if m['role'] == 'user' -%}{{- ' USER: ' + m['content'] -}}{%- endif -%}"
                + "{%- endfor -%}{{- ' ASSISTANT:' -}}";
        NativeTools.Result ref = NativeTools.run("llama-mtmd-cli", "-m", pair.lm().toString(), "--mmproj",
                pair.mmproj().toString(), "--image", square.toString(), "-p", "<__media__>\n" + QUESTION, "-n", "24",
                "--temp", "0", "-c", "2048", "-t", "2", "--jinja", "--chat-template", jinja);
        assertEquals(0, ref.exitCode(), ref.stderr());
        String expected = new String(ref.stdout(), StandardCharsets.UTF_8).strip();
        assertFalse(expected.isEmpty(), "llama-mtmd-cli generated nothing: " + ref.stderr());
        assertEquals(expected, ours.out().strip());
    }

    @Test
    void stdoutHoldsOnlyTheAnswerAndStderrTheTimings() {
        CliRunner.Result r = run("--temp", "0", "-n", "8");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(r.out().contains("llava4j:"), r.out());
        assertTrue(r.err().contains("llava4j: template llava_v1"), r.err());
        assertTrue(r.err().matches("(?s).*encode \\d+ ms \\(576 image positions\\).*"), r.err());
        assertTrue(generatedTokens(r.err()) <= 8, r.err());
    }

    @Test
    void maxTokensLimitsTheAnswer() {
        CliRunner.Result r = run("--temp", "0", "-n", "3");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(generatedTokens(r.err()) <= 3, r.err());
    }

    @Test
    void sameSeedSameAnswerAtTemperature() {
        CliRunner.Result a = run("--temp", "1.5", "--top-k", "0", "--seed", "7", "-n", "16");
        CliRunner.Result b = run("--temp", "1.5", "--top-k", "0", "--seed", "7", "-n", "16");
        CliRunner.Result c = run("--temp", "1.5", "--top-k", "0", "--seed", "8", "-n", "16");
        assertEquals(0, a.exitCode(), a.err());
        assertEquals(a.out(), b.out());
        assertNotEquals(a.out(), c.out(), "different seeds at temperature 1.5 over 32000 tokens");
        assertTrue(a.err().contains("seed 7"), a.err());
    }

    @Test
    void templateOptionOverridesTheChoice() {
        CliRunner.Result r = run("--temp", "0", "-n", "2", "--template", "mistral_instruct");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("template mistral_instruct"), r.err());
        CliRunner.Result bad = run("--template", "no_such_template");
        assertEquals(1, bad.exitCode());
        assertTrue(bad.err().contains("llava_v1"), "lists the valid names: " + bad.err());
    }

    @Test
    void unreadableImageIsExitCode1() throws IOException {
        Path bad = dir.resolve("broken.jpg");
        Files.write(bad, new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2, 3});
        CliRunner.Result r = CliRunner.run("run", "-m", pair.lm().toString(), "--mmproj", pair.mmproj().toString(),
                "--image", bad.toString(), "-p", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("broken.jpg"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void missingMmprojIsExitCode1() {
        CliRunner.Result r = CliRunner.run("run", "-m", pair.lm().toString(), "--mmproj",
                dir.resolve("missing-mmproj.gguf").toString(), "--image", square.toString(), "-p", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("missing-mmproj.gguf"), r.err());
    }

    @Test
    void mmprojOfAnotherWidthIsExitCode1() {
        Path narrow = TinyModels.writeMmproj(ClipSpec.tiny(32).withSeed(3), dir.resolve("narrow.gguf"));
        CliRunner.Result r = CliRunner.run("run", "-m", pair.lm().toString(), "--mmproj", narrow.toString(),
                "--image", square.toString(), "-p", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("not a pair"), r.err());
    }

    @Test
    void promptLongerThanTheContextIsExitCode1() {
        CliRunner.Result r = CliRunner.run("run", "-m", pair.lm().toString(), "--mmproj", pair.mmproj().toString(),
                "--image", square.toString(), "-p", "word ".repeat(100), "--ctx", "256");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("does not fit") || r.err().contains("context holds"), r.err());
    }

    @Test
    void imageWithoutMmprojIsAUsageError() {
        CliRunner.Result r = CliRunner.run("run", "-m", pair.lm().toString(), "--image", square.toString(), "-p", "x");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--mmproj"), r.err());
    }
}
