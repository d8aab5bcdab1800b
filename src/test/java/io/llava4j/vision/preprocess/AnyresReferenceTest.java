package io.llava4j.vision.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.llava4j.image.RgbImage;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Anyres shapes and values against (a) the reference Python run over 200 sizes x 3 families
 * ({@code pil/anyres/layout.tsv} from {@code llava_reference.py}) and (b) {@link NaiveAnyres}, an
 * independent plain re-implementation, on random sizes and on actual pixels.
 */
class AnyresReferenceTest {
    static Stream<Arguments> pythonRows() {
        return PilFixtures.tsv("anyres/layout.tsv").stream().map(r -> Arguments.of(r[0] + " " + r[1] + "x" + r[2], r));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pythonRows")
    void matchesReferencePython(String name, String[] r) {
        int[] v = new int[r.length];
        for (int i = 1; i < r.length; i++) {
            v[i] = Integer.parseInt(r[i]);
        }
        PreprocessConfig cfg = AnyresTokenCountTest.family(r[0]);
        int w = v[1];
        int h = v[2];
        Resolution best = AnyresMath.selectBestResolution(w, h, cfg.gridPinpoints());
        assertEquals(new Resolution(v[3], v[4]), best, "select_best_resolution");
        assertEquals(new Resolution(v[5], v[6]), AnyresMath.gridShape(w, h, cfg.gridPinpoints(), cfg.imageSize()));
        assertEquals(new AnyresMath.PadPlacement(best, v[7], v[8], v[9], v[10]), AnyresMath.resizeAndPad(w, h, best));
        UnpadLayout u = UnpadLayout.of(w, h, v[5], v[6], cfg.patchesPerSide(), cfg.anyresMaxPatches());
        assertEquals(v[11], u.keptRows(), "unpad rows");
        assertEquals(v[12], u.keptCols(), "unpad cols");
        assertEquals(v[13], u.outRows(), "rows after anyres_max");
        assertEquals(v[14], u.outCols(), "cols after anyres_max");
        assertEquals(v[15], u.tokenCount(), "tokens");
    }

    @Test
    void layoutMatchesNaiveSimulation() {
        Random rnd = new Random(7);
        for (String fam : new String[] {"v16", "interleave", "ov"}) {
            PreprocessConfig cfg = AnyresTokenCountTest.family(fam);
            int side = cfg.patchesPerSide();
            for (int i = 0; i < 400; i++) {
                int w = 1 + rnd.nextInt(i % 2 == 0 ? 4000 : 400);
                int h = 1 + rnd.nextInt(i % 3 == 0 ? 4000 : 400);
                assertEquals(
                        NaiveAnyres.selectBest(w, h, cfg.gridPinpoints()),
                        AnyresMath.selectBestResolution(w, h, cfg.gridPinpoints()),
                        fam + " " + w + "x" + h);
                Resolution g = AnyresMath.gridShape(w, h, cfg.gridPinpoints(), cfg.imageSize());
                UnpadLayout u = UnpadLayout.of(w, h, g.width(), g.height(), side, cfg.anyresMaxPatches());
                int[] sim = NaiveAnyres.simulateMerge(
                        w, h, cfg.gridPinpoints(), cfg.imageSize(), side, cfg.anyresMaxPatches());
                assertArrayEquals(
                        sim,
                        new int[] {u.rowStart(), u.keptRows(), u.colStart(), u.keptCols(), u.tokenCount()},
                        fam + " " + w + "x" + h);
            }
        }
    }

    /** Pixels: the production tiles equal the naive per-pixel construction exactly, tiny images included. */
    @Test
    void tilesMatchNaiveConstruction() {
        PreprocessConfig tiny = new PreprocessConfig(
                28,
                14,
                PreprocessConfig.CLIP_MEAN,
                PreprocessConfig.CLIP_STD,
                AspectMode.ANYRES,
                List.of(
                        new Resolution(28, 56),
                        new Resolution(56, 28),
                        new Resolution(56, 56),
                        new Resolution(84, 28),
                        new Resolution(28, 84)),
                ResampleFilter.BICUBIC,
                0);
        int[][] sizes = {{1, 1}, {3, 2}, {20, 13}, {28, 28}, {61, 47}, {200, 30}, {30, 200}, {57, 56}};
        for (PreprocessConfig cfg : new PreprocessConfig[] {tiny, PreprocessConfig.llava16Clip()}) {
            for (int[] s : sizes) {
                RgbImage img = TestPatterns.pattern(s[0], s[1], s[0] + s[1]);
                PreprocessedImage got = new Preprocessor(cfg).process(img);
                List<float[]> want = NaiveAnyres.images(img, cfg);
                assertEquals(want.size(), got.images().size(), s[0] + "x" + s[1]);
                for (int i = 0; i < want.size(); i++) {
                    assertArrayEquals(want.get(i), got.images().get(i).data(), s[0] + "x" + s[1] + " image " + i);
                }
            }
        }
    }
}
