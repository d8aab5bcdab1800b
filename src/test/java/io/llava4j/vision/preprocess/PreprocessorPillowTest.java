package io.llava4j.vision.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.image.RgbImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The full preprocessing against the reference Python (LLaVA's {@code process_images} /
 * {@code process_anyres_image} / {@code expand2square} run with Pillow 9.4.0, and the HF
 * CLIP/SigLIP processor steps in numpy float32; see {@code src/test/python/llava_reference.py}).
 * Each case checks the image count, a pixel subsample (stride in the manifest; every pixel for
 * the 28-pixel "tiny" configs) within one 8-bit level in normalised units ({@code 1/255/std}),
 * and the SHA-256 of every full float32 HWC image, i.e. bit-exactness.
 */
class PreprocessorPillowTest {
    static Stream<Arguments> cases() {
        return PilFixtures.tsv("pipeline/manifest.tsv").stream().map(r -> Arguments.of(r[0], r));
    }

    static PreprocessConfig config(String processor, int size, String mode, String pins) {
        boolean clip = processor.equals("clip");
        List<Resolution> pinpoints = pins.equals("-") ? List.of() : parsePins(pins, size);
        AspectMode aspect = AspectMode.valueOf(mode.toUpperCase(Locale.ROOT));
        return new PreprocessConfig(
                size,
                14,
                clip ? PreprocessConfig.CLIP_MEAN : new float[] {0.5f, 0.5f, 0.5f},
                clip ? PreprocessConfig.CLIP_STD : new float[] {0.5f, 0.5f, 0.5f},
                aspect,
                pinpoints,
                ResampleFilter.BICUBIC,
                0);
    }

    static List<Resolution> parsePins(String text, int size) {
        if (text.contains("(")) {
            return GridPinpoints.parse(text, size);
        }
        List<Resolution> out = new ArrayList<>();
        for (String p : text.split(";")) {
            String[] wh = p.split("x");
            out.add(new Resolution(Integer.parseInt(wh[0]), Integer.parseInt(wh[1])));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesReferencePython(String name, String[] c) {
        int size = Integer.parseInt(c[2]);
        PreprocessConfig config = config(c[1], size, c[3], c[4]);
        RgbImage src = TestPatterns.pattern(Integer.parseInt(c[5]), Integer.parseInt(c[6]), Integer.parseInt(c[7]));
        int stride = Integer.parseInt(c[8]);
        PreprocessedImage result = new Preprocessor(config).process(src);
        assertEquals(Integer.parseInt(c[9]), result.images().size(), name + ": image count");
        assertEquals(result.layout().imageCount(), result.images().size());

        FloatBuffer expected = ByteBuffer.wrap(PilFixtures.bytes("pipeline/" + name + ".f32"))
                .order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer();
        float[] std = config.std();
        String[] shas = c[10].split(",");
        for (int i = 0; i < result.images().size(); i++) {
            FloatImage img = result.images().get(i);
            assertEquals(size, img.width());
            assertEquals(size, img.height());
            double worst = 0;
            for (int y = 0; y < size; y += stride) {
                for (int x = 0; x < size; x += stride) {
                    for (int ch = 0; ch < 3; ch++) {
                        double levels = Math.abs(img.get(x, y, ch) - expected.get()) * 255.0 * std[ch];
                        worst = Math.max(worst, levels);
                    }
                }
            }
            assertTrue(worst <= 1.0 + 1e-4, name + " image " + i + ": off by " + worst + " 8-bit levels");
            ByteBuffer le = ByteBuffer.allocate(size * size * 12).order(ByteOrder.LITTLE_ENDIAN);
            le.asFloatBuffer().put(img.buffer());
            assertEquals(shas[i], PilFixtures.sha256(le.array()), name + " image " + i + ": float32 SHA-256");
        }
        assertEquals(0, expected.remaining(), name + ": subsample length");
    }

    /** Every 8-bit level through rescale + normalize equals numpy's float32 result exactly. */
    @Test
    void normalisationEqualsNumpyForAllLevels() {
        FloatBuffer table = ByteBuffer.wrap(PilFixtures.bytes("pipeline/levels.f32"))
                .order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer();
        for (PreprocessConfig config : new PreprocessConfig[] {
            PreprocessConfig.llava15Clip(),
            PreprocessConfig.nextInterleaveSiglip().withAspectMode(AspectMode.SQUASH)
        }) {
            float[] expected = new float[256 * 3];
            table.get(expected);
            byte[] ramp = new byte[config.imageSize() * config.imageSize() * 3];
            for (int i = 0; i < ramp.length; i++) {
                ramp[i] = (byte) (i / 3 % 256);
            }
            // a square image already at the side goes through resize/crop unchanged
            FloatImage out = new Preprocessor(config.withAspectMode(AspectMode.SQUASH))
                    .process(new RgbImage(config.imageSize(), config.imageSize(), ramp))
                    .images()
                    .get(0);
            float[] got = new float[256 * 3];
            out.buffer().get(got);
            assertArrayEquals(expected, got, config.toString());
        }
    }
}
