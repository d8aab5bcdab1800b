package io.llava4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.llava4j.testmodels.TinyModels;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import picocli.CommandLine;

/** A generated LLaVA-1.5 pair, two pictures, a broken file, and ways to run {@code chat} and {@code run} on them. */
final class ChatFixture {
    static final String QUESTION = "What is in the image?";

    final TinyModels.Pair pair;
    final Path square;
    final Path stripes;
    final Path broken;

    ChatFixture(Path dir) throws IOException {
        pair = TinyModels.llava15(dir, 31);
        square = picture(
                dir.resolve("square.png"), (x, y) -> (x * 255 / 335) << 16 | (y * 255 / 335) << 8 | ((x ^ y) & 0xff));
        stripes = picture(dir.resolve("stripes.png"), (x, y) -> (x / 12 % 2 == 0) ? 0xd04020 : 0x2040d0);
        broken = dir.resolve("broken.jpg");
        Files.write(broken, new byte[] {(byte) 0xff, (byte) 0xd8, 1, 2, 3});
    }

    private interface Pixel {
        int rgb(int x, int y);
    }

    private static Path picture(Path file, Pixel pixel) throws IOException {
        BufferedImage img = new BufferedImage(336, 336, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 336; y++) {
            for (int x = 0; x < 336; x++) {
                img.setRGB(x, y, pixel.rgb(x, y));
            }
        }
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    /** The model options every test uses (context 2048 and template llava_v1 unless {@code extra} sets them), then {@code extra}. */
    List<String> modelArgs(String... extra) {
        List<String> a = new ArrayList<>(
                List.of("-m", pair.lm().toString(), "--mmproj", pair.mmproj().toString(), "-t", "2"));
        if (!List.of(extra).contains("--ctx")) {
            a.addAll(List.of("--ctx", "2048"));
        }
        if (!List.of(extra).contains("--template")) {
            a.addAll(List.of("--template", "llava_v1"));
        }
        a.addAll(List.of(extra));
        return a;
    }

    /** {@code llava4j run} with the model options; asserts success and returns stdout. */
    String run(String... extra) {
        List<String> a = new ArrayList<>(List.of("run"));
        a.addAll(modelArgs(extra));
        CliRunner.Result r = CliRunner.run(a.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        return r.out();
    }

    /** {@code llava4j chat} with the model options, reading {@code stdin} as piped input. */
    CliRunner.Result chatPiped(String stdin, String... extra) {
        CommandLine cmd = Main.commandLine();
        ChatCommand chat = cmd.getSubcommands().get("chat").getCommand();
        chat.input = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        List<String> a = new ArrayList<>(List.of("chat"));
        a.addAll(modelArgs(extra));
        int code = cmd.execute(a.toArray(String[]::new));
        return new CliRunner.Result(code, out.toString(), err.toString());
    }
}
