package io.llava4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.demo.DemoModel;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.testmodels.NativeTools;
import io.llava4j.testmodels.TinyModels;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
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
        List<String> a = new ArrayList<>(List.of(
                "run",
                "-m",
                pair.lm().toString(),
                "--mmproj",
                pair.mmproj().toString(),
                "--image",
                square.toString(),
                "-p",
                QUESTION,
                "-t",
                "2",
                "--ctx",
                "2048"));
        a.addAll(List.of(extra));
        return a;
    }

    private static CliRunner.Result run(String... extra) {
        return CliRunner.run(args(extra).toArray(String[]::new));
    }

    /**
     * Marks a file with a modification time no write can give it (2000-01-01, a whole even second
     * that every file system stores exactly) and returns the time as stored. Comparing a file's time
     * before and after alone would miss a rewrite within the file system's time resolution (1 s on
     * ext3 and HFS+, 2 s on FAT), a few milliseconds apart on a fast machine.
     */
    private static FileTime markWritten(Path file) throws IOException {
        Files.setLastModifiedTime(file, FileTime.fromMillis(946_684_800_000L));
        return Files.getLastModifiedTime(file);
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
        NativeTools.Result ref = NativeTools.runToEnd(
                "llama-mtmd-cli",
                "-m",
                pair.lm().toString(),
                "--mmproj",
                pair.mmproj().toString(),
                "--image",
                square.toString(),
                "-p",
                "<__media__>\n" + QUESTION,
                "-n",
                "24",
                "--temp",
                "0",
                "-c",
                "2048",
                "-t",
                "2",
                "--jinja",
                "--chat-template",
                jinja);
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
    void kvTypeOptionIsCheckedAndTaken() {
        CliRunner.Result bad = run("--kv-type", "q4_k", "-n", "2");
        assertEquals(2, bad.exitCode(), bad.err());
        assertTrue(bad.err().contains("f16, f32, q8_0, q4_0"), bad.err());
        CliRunner.Result f32 = run("--temp", "0", "-n", "4", "--kv-type", "f32");
        assertEquals(0, f32.exitCode(), f32.err());
        // this model's heads (16) do not fit q8_0's blocks of 32: a clear error, not ggml's abort
        CliRunner.Result q8 = run("--temp", "0", "-n", "4", "--kv-type", "q8_0");
        assertEquals(1, q8.exitCode(), q8.err());
        assertTrue(q8.err().contains("multiple of 32"), q8.err());
    }

    @Test
    void unreadableImageIsExitCode1() throws IOException {
        Path bad = dir.resolve("broken.jpg");
        Files.write(bad, new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2, 3});
        CliRunner.Result r = CliRunner.run(
                "run",
                "-m",
                pair.lm().toString(),
                "--mmproj",
                pair.mmproj().toString(),
                "--image",
                bad.toString(),
                "-p",
                "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("broken.jpg"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void missingMmprojIsExitCode1() {
        CliRunner.Result r = CliRunner.run(
                "run",
                "-m",
                pair.lm().toString(),
                "--mmproj",
                dir.resolve("missing-mmproj.gguf").toString(),
                "--image",
                square.toString(),
                "-p",
                "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("missing-mmproj.gguf"), r.err());
    }

    @Test
    void mmprojOfAnotherWidthIsExitCode1() {
        Path narrow = TinyModels.writeMmproj(ClipSpec.tiny(32).withSeed(3), dir.resolve("narrow.gguf"));
        CliRunner.Result r = CliRunner.run(
                "run",
                "-m",
                pair.lm().toString(),
                "--mmproj",
                narrow.toString(),
                "--image",
                square.toString(),
                "-p",
                "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("not a pair"), r.err());
    }

    @Test
    void promptLongerThanTheContextIsExitCode1() {
        CliRunner.Result r = CliRunner.run(
                "run",
                "-m",
                pair.lm().toString(),
                "--mmproj",
                pair.mmproj().toString(),
                "--image",
                square.toString(),
                "-p",
                "word ".repeat(100),
                "--ctx",
                "256");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("does not fit") || r.err().contains("context holds"), r.err());
    }

    @Test
    void imageWithoutMmprojIsAUsageError() {
        CliRunner.Result r = CliRunner.run("run", "-m", pair.lm().toString(), "--image", square.toString(), "-p", "x");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--mmproj"), r.err());
    }

    @Test
    void withoutAModelTheBuiltInDemoRunsOnTheBundledPictureLikeAnExplicitRun() throws IOException {
        String before = System.getProperty("llava4j.cache");
        System.setProperty("llava4j.cache", dir.resolve("cache").toString());
        try {
            CliRunner.Result demo = CliRunner.run("run", "--temp", "0", "-n", "8", "-t", "2");
            assertEquals(0, demo.exitCode(), demo.err());
            assertTrue(demo.err().contains("RANDOM WEIGHTS"), demo.err());
            assertTrue(demo.err().contains("(576 image positions)"), demo.err());
            Path demoDir = dir.resolve("cache").resolve("demo").resolve(DemoModel.VERSION);
            FileTime written = markWritten(demoDir.resolve("lm.gguf"));

            Path picture = dir.resolve("demo.png");
            try (InputStream in = DemoModel.class.getResourceAsStream(DemoModel.IMAGE_RESOURCE)) {
                Files.copy(in, picture, StandardCopyOption.REPLACE_EXISTING);
            }
            CliRunner.Result explicit = CliRunner.run(
                    "run",
                    "-m",
                    demoDir.resolve("lm.gguf").toString(),
                    "--mmproj",
                    demoDir.resolve("mmproj.gguf").toString(),
                    "--image",
                    picture.toString(),
                    "-p",
                    RunCommand.DEMO_PROMPT,
                    "--temp",
                    "0",
                    "-n",
                    "8",
                    "-t",
                    "2");
            assertEquals(0, explicit.exitCode(), explicit.err());
            assertEquals(explicit.out(), demo.out(), "the demo is the ordinary pipeline");
            assertFalse(explicit.err().contains("RANDOM WEIGHTS"));

            CliRunner.Result again = CliRunner.run("run", "--temp", "0", "-n", "8", "-t", "2");
            assertEquals(demo.out(), again.out());
            assertEquals(written, Files.getLastModifiedTime(demoDir.resolve("lm.gguf")), "written once");
        } finally {
            if (before == null) {
                System.clearProperty("llava4j.cache");
            } else {
                System.setProperty("llava4j.cache", before);
            }
        }
    }

    @Test
    void severalImagesAreEachEncodedWhereTheirMarkersStand() {
        CliRunner.Result r = run("--image", square.toString(), "--temp", "0", "-n", "2");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("(1152 image positions)"), r.err());
        CliRunner.Result marked = CliRunner.run(
                "run",
                "-m",
                pair.lm().toString(),
                "--mmproj",
                pair.mmproj().toString(),
                "--image",
                square.toString(),
                "--image",
                square.toString(),
                "-p",
                "Left <image> right <image>. Same?",
                "--temp",
                "0",
                "-n",
                "2",
                "-t",
                "2");
        assertEquals(0, marked.exitCode(), marked.err());
        CliRunner.Result wrongCount = CliRunner.run(
                "run",
                "-m",
                pair.lm().toString(),
                "--mmproj",
                pair.mmproj().toString(),
                "--image",
                square.toString(),
                "-p",
                "<image> and <image>?");
        assertEquals(1, wrongCount.exitCode());
        assertTrue(wrongCount.err().contains("2 <image> markers for 1 images"), wrongCount.err());
    }

    @Test
    void truncatingSamplersAtFullStrengthEqualGreedy() {
        String greedy = run("--temp", "0", "-n", "12").out();
        assertEquals(
                greedy,
                run("--temp", "1.5", "--top-k", "0", "--top-p", "0.000001", "--seed", "3", "-n", "12")
                        .out());
        assertEquals(
                greedy,
                run("--temp", "1.5", "--top-k", "0", "--min-p", "1.0", "--seed", "3", "-n", "12")
                        .out());
        assertEquals(
                greedy,
                run("--temp", "1.5", "--top-k", "1", "--seed", "3", "-n", "12").out());
        // the tiny model settles into a short loop after 8 to 20 tokens; a penalty breaks it
        assertNotEquals(
                run("--temp", "0", "-n", "48").out(),
                run("--temp", "0", "--repeat-penalty", "5", "-n", "48").out(),
                "a strong repetition penalty changes a greedy answer that repeats itself");
    }

    @Test
    void aPulledModelNameStandsForItsFilesAndAMissingOneSaysHowToPullIt() throws IOException {
        String before = System.getProperty("llava4j.models");
        Path models = dir.resolve("models");
        System.setProperty("llava4j.models", models.toString());
        try {
            CliRunner.Result missing = CliRunner.run("run", "-m", "llava-1.5-7b", "-p", "x");
            assertEquals(1, missing.exitCode());
            assertTrue(missing.err().contains("llava4j pull llava-1.5-7b"), missing.err());

            Path repo = Files.createDirectories(models.resolve("mys").resolve("ggml_llava-v1.5-7b"));
            Files.copy(pair.lm(), repo.resolve("ggml-model-q5_k.gguf"));
            Files.copy(pair.mmproj(), repo.resolve("mmproj-model-f16.gguf"));
            CliRunner.Result named = CliRunner.run(
                    "run",
                    "-m",
                    "llava-1.5-7b:q5_k",
                    "--image",
                    square.toString(),
                    "-p",
                    QUESTION,
                    "--temp",
                    "0",
                    "-n",
                    "6",
                    "-t",
                    "2",
                    "--ctx",
                    "2048");
            assertEquals(0, named.exitCode(), named.err());
            assertEquals(run("--temp", "0", "-n", "6").out(), named.out(), "the same pair under its catalogue name");
        } finally {
            if (before == null) {
                System.clearProperty("llava4j.models");
            } else {
                System.setProperty("llava4j.models", before);
            }
        }
    }

    @Test
    void imageCacheKeepsEncodedImagesOnDiskAcrossRuns() throws IOException {
        Path cache = dir.resolve("image-cache");
        CliRunner.Result first = run("--temp", "0", "-n", "4", "--image-cache", cache.toString());
        assertEquals(0, first.exitCode(), first.err());
        List<Path> files;
        try (Stream<Path> list = Files.list(cache)) {
            files = list.filter(p -> p.toString().endsWith(".emb")).toList();
        }
        assertEquals(1, files.size(), "one encoded image");
        FileTime written = markWritten(files.get(0));
        CliRunner.Result second = run("--temp", "0", "-n", "4", "--image-cache", cache.toString());
        assertEquals(first.out(), second.out());
        assertEquals(written, Files.getLastModifiedTime(files.get(0)), "read, not written again");
    }
}
