package io.llava4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.gguf.GgufReader;
import io.llava4j.image.ImageLoader;
import io.llava4j.image.RgbImage;
import io.llava4j.synthetic.ClipSpec;
import io.llava4j.testmodels.TinyModels;
import io.llava4j.vision.ImageEmbedder;
import io.llava4j.vision.MmprojConfig;
import io.llava4j.vision.VisionEncoder;
import io.llava4j.vision.preprocess.PreprocessedImage;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code preprocess} and {@code encode} write what the library computes, as valid .npy files. */
class PreprocessEncodeCommandTest {
    @TempDir
    static Path dir;

    static TinyModels.Pair next;
    static TinyModels.Pair v15;
    static Path png;

    @BeforeAll
    static void setUp() throws IOException {
        next = TinyModels.llavaNextQwen2(dir.resolve("next"), 21);
        v15 = TinyModels.llava15(dir.resolve("v15"), 22);
        BufferedImage img = new BufferedImage(500, 300, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 300; y++) {
            for (int x = 0; x < 500; x++) {
                img.setRGB(x, y, (x % 256) << 16 | (y % 256) << 8 | ((x * y) % 256));
            }
        }
        png = dir.resolve("img.png");
        ImageIO.write(img, "png", png.toFile());
    }

    /** Reads a float32 .npy: returns the data and checks the shape. */
    static float[] readNpy(Path f, String shape) throws IOException {
        byte[] b = Files.readAllBytes(f);
        assertEquals((byte) 0x93, b[0]);
        assertEquals("NUMPY", new String(b, 1, 5, StandardCharsets.US_ASCII));
        int headerLen = (b[8] & 0xff) | (b[9] & 0xff) << 8;
        assertEquals(0, (10 + headerLen) % 64, "header padded to 64 bytes");
        String header = new String(b, 10, headerLen, StandardCharsets.US_ASCII);
        assertTrue(header.contains("'descr': '<f4'") && header.contains("'shape': " + shape), header);
        ByteBuffer data =
                ByteBuffer.wrap(b, 10 + headerLen, b.length - 10 - headerLen).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[data.remaining() / 4];
        data.asFloatBuffer().get(out);
        return out;
    }

    @Test
    void preprocessWritesBaseAndTiles() throws IOException {
        Path out = dir.resolve("pre");
        CliRunner.Result r = CliRunner.run(
                "preprocess", "--mmproj", next.mmproj().toString(), "--image", png.toString(), "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        RgbImage rgb = new ImageLoader().load(png.toString());
        MmprojConfig cfg = MmprojConfig.from(GgufReader.read(next.mmproj()));
        PreprocessedImage expected = new io.llava4j.vision.preprocess.Preprocessor(cfg.preprocess()).process(rgb);
        assertTrue(expected.images().size() > 1, "anyres gives base + tiles");
        for (int i = 0; i < expected.images().size(); i++) {
            assertArrayEquals(expected.images().get(i).data(), readNpy(out.resolve(i + ".npy"), "(336, 336, 3)"));
        }
        assertTrue(Files.notExists(out.resolve(expected.images().size() + ".npy")));
    }

    @Test
    void encodeWritesTheMergedEmbeddings() throws IOException {
        Path out = dir.resolve("emb.npy");
        CliRunner.Result r = CliRunner.run(
                "encode",
                "--mmproj",
                v15.mmproj().toString(),
                "--model",
                v15.lm().toString(),
                "--image",
                png.toString(),
                "--out",
                out.toString(),
                "--threads",
                "2");
        assertEquals(0, r.exitCode(), r.err());
        try (VisionEncoder enc = VisionEncoder.load(v15.mmproj(), false)) {
            MmprojConfig cfg = MmprojConfig.from(GgufReader.read(v15.mmproj()));
            ImageEmbedder.ImageEmbedding e =
                    new ImageEmbedder(enc, cfg).embed(new ImageLoader().load(png.toString()), 2);
            assertArrayEquals(e.data(), readNpy(out, "(576, " + e.width() + ")"));
        }
    }

    @Test
    void encodeRefusesAnMmprojOfAnotherModel() {
        Path narrow = TinyModels.writeMmproj(ClipSpec.tiny(32).withSeed(5), dir.resolve("w32.gguf"));
        CliRunner.Result r = CliRunner.run(
                "encode",
                "--mmproj",
                narrow.toString(),
                "--model",
                v15.lm().toString(),
                "--image",
                png.toString(),
                "--out",
                dir.resolve("x.npy").toString());
        assertEquals(1, r.exitCode());
        assertTrue(
                r.err().contains("width 32")
                        && r.err().contains("takes 64")
                        && r.err().contains("not a pair"),
                r.err());
        assertTrue(Files.notExists(dir.resolve("x.npy")));
    }

    @Test
    void unreadableImageIsExitCode1() throws IOException {
        Path bad = dir.resolve("bad.png");
        Files.write(bad, new byte[] {1, 2, 3});
        CliRunner.Result r = CliRunner.run(
                "encode",
                "--mmproj",
                v15.mmproj().toString(),
                "--image",
                bad.toString(),
                "--out",
                dir.resolve("y.npy").toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("bad.png"), r.err());
    }
}
