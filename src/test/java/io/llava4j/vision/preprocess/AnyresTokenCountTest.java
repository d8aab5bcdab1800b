package io.llava4j.vision.preprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The worked numbers of docs LLAVA.md 2.6 and 8.15 (LLaVA semantics, not HF's) and the pinpoint
 * parsing. Families: v1.6 = CLIP-336 side 24 with {@link GridPinpoints#LLAVA_V16}; interleave =
 * SigLIP-384 side 27 with {@link GridPinpoints#NEXT_INTERLEAVE}; OneVision = SigLIP-384 side 27,
 * {@code (1x1)..(6x6)}, {@code anyres_max_9}.
 */
class AnyresTokenCountTest {
    static PreprocessConfig family(String name) {
        return switch (name) {
            case "v16" -> PreprocessConfig.llava16Clip();
            case "interleave" -> PreprocessConfig.nextInterleaveSiglip();
            case "ov" -> PreprocessConfig.oneVisionSiglip();
            default -> throw new IllegalArgumentException(name);
        };
    }

    static int tokens(String fam, int w, int h) {
        PreprocessConfig c = family(fam);
        Resolution grid = AnyresMath.gridShape(w, h, c.gridPinpoints(), c.imageSize());
        return UnpadLayout.of(w, h, grid.width(), grid.height(), c.patchesPerSide(), c.anyresMaxPatches())
                .tokenCount();
    }

    @ParameterizedTest(name = "{0} {1}x{2} -> {3}")
    @CsvSource({
        "v16, 640, 480, 2340",
        "v16, 480, 640, 2352",
        "v16, 1920, 1080, 1948",
        "v16, 500, 2000, 1944",
        "v16, 1000, 200, 1598",
        "v16, 336, 336, 1176",
        "v16, 100, 100, 1176",
        "v16, 300, 200, 976",
        "v16, 200, 300, 1476",
        "v16, 704, 396, 1850",
        "interleave, 640, 480, 2929",
        "interleave, 1920, 1080, 2379",
        "interleave, 384, 384, 1513",
        "ov, 1920, 1080, 7269",
        "ov, 2304, 2304, 7371",
        "ov, 384, 384, 1485",
    })
    void workedTokenCounts(String fam, int w, int h, int expected) {
        assertEquals(expected, tokens(fam, w, h));
    }

    /** LLAVA.md 2.6: best pinpoint, grid, resized size + padding, unpadded H' x W'. */
    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({
        "640, 480, 672, 672, 2, 2, 672, 504, 0, 84, 36, 48",
        "1920, 1080, 672, 672, 2, 2, 672, 378, 0, 147, 28, 48",
        "500, 2000, 336, 1008, 1, 3, 252, 1008, 42, 0, 72, 18",
        "1000, 200, 1008, 336, 3, 1, 1008, 202, 0, 67, 14, 72",
        "336, 336, 336, 672, 1, 2, 336, 336, 0, 168, 24, 24",
        "300, 200, 336, 672, 1, 2, 336, 225, 0, 223, 16, 24",
        "704, 396, 672, 672, 2, 2, 672, 378, 0, 147, 26, 48",
    })
    void workedGeometryV16(
            int w, int h, int bw, int bh, int cols, int rows, int nw, int nh, int px, int py, int uh, int uw) {
        Resolution best = AnyresMath.selectBestResolution(w, h, GridPinpoints.LLAVA_V16);
        assertEquals(new Resolution(bw, bh), best);
        assertEquals(new Resolution(cols, rows), AnyresMath.gridShape(w, h, GridPinpoints.LLAVA_V16, 336));
        assertEquals(new AnyresMath.PadPlacement(best, nw, nh, px, py), AnyresMath.resizeAndPad(w, h, best));
        UnpadLayout u = UnpadLayout.of(w, h, cols, rows, 24, 0);
        assertEquals(uh, u.keptRows());
        assertEquals(uw, u.keptCols());
        assertFalse(u.interpolated());
    }

    @Test
    void oneVisionShrinksLargeGrids() {
        UnpadLayout u = UnpadLayout.of(1920, 1080, 5, 3, 27, 9);
        assertEquals(81, u.fullRows());
        assertEquals(135, u.fullCols());
        assertEquals(3, u.rowStart());
        assertEquals(75, u.keptRows());
        assertEquals(135, u.keptCols());
        assertTrue(u.interpolated());
        assertEquals(60, u.outRows());
        assertEquals(108, u.outCols());
        assertEquals(
                new Resolution(1920, 1152),
                AnyresMath.selectBestResolution(
                        1920, 1080, PreprocessConfig.oneVisionSiglip().gridPinpoints()));
    }

    @Test
    void layoutFromThePreprocessorCountsTokens() {
        PreprocessedImage p =
                new Preprocessor(PreprocessConfig.llava16Clip()).process(TestPatterns.pattern(640, 480, 1));
        assertEquals(5, p.images().size());
        assertEquals(2340, p.layout().tokenCount(24));
        PreprocessedImage pad =
                new Preprocessor(PreprocessConfig.llava15Clip()).process(TestPatterns.pattern(640, 480, 1));
        assertEquals(576, pad.layout().tokenCount(24)); // v1.5 pad, flat merge
        assertThrows(IllegalStateException.class, () -> pad.layout().unpad(24));
    }

    @Test
    void pinpointForms() {
        assertEquals(
                GridPinpoints.LLAVA_V16,
                GridPinpoints.parse("[(336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008)]", 336));
        assertEquals(
                GridPinpoints.LLAVA_V16,
                GridPinpoints.parse("[[336,672],[672,336],[672,672],[1008,336],[336,1008]]", 336));
        assertEquals(
                GridPinpoints.NEXT_INTERLEAVE,
                GridPinpoints.fromFlat(new int[] {384, 768, 768, 384, 768, 768, 1152, 384, 384, 1152}));
        List<Resolution> ov = GridPinpoints.parse("(1x1),...,(6x6)", 384);
        assertEquals(36, ov.size());
        assertEquals(new Resolution(384, 384), ov.get(0));
        assertEquals(new Resolution(384, 768), ov.get(1)); // j (height) varies fastest
        assertEquals(new Resolution(2304, 2304), ov.get(35));
        assertThrows(Llava4jException.class, () -> GridPinpoints.parse("(1x1),(2x2)", 300));
        assertThrows(Llava4jException.class, () -> GridPinpoints.parse("nonsense", 336));
        assertThrows(Llava4jException.class, () -> GridPinpoints.fromFlat(new int[] {336}));
        assertEquals(AspectMode.ANYRES, AspectMode.fromLlava("anyres_max_9", true));
        assertEquals(9, AspectMode.anyresMaxPatches("anyres_max_9"));
        assertEquals(0, AspectMode.anyresMaxPatches("anyres"));
        assertEquals(AspectMode.PAD, AspectMode.fromLlava("pad", false));
        assertEquals(AspectMode.CROP, AspectMode.fromLlava("square", false));
        assertEquals(AspectMode.SQUASH, AspectMode.fromLlava(null, true));
    }

    @Test
    void configValidation() {
        PreprocessConfig v15 = PreprocessConfig.llava15Clip();
        assertEquals(24, v15.patchesPerSide());
        assertEquals(27, PreprocessConfig.nextInterleaveSiglip().patchesPerSide());
        assertEquals(
                List.of(122, 116, 104),
                java.util.Arrays.stream(v15.padColor()).boxed().toList());
        assertEquals(
                List.of(127, 127, 127),
                java.util.Arrays.stream(PreprocessConfig.nextInterleaveSiglip().padColor())
                        .boxed()
                        .toList());
        assertThrows(Llava4jException.class, () -> v15.withAspectMode(AspectMode.ANYRES));
        assertThrows(
                Llava4jException.class,
                () -> new PreprocessConfig(
                        336,
                        14,
                        new float[] {0, 0, 0},
                        new float[] {1, 0, 1},
                        AspectMode.PAD,
                        List.of(),
                        ResampleFilter.BICUBIC,
                        0));
        assertThrows(
                Llava4jException.class,
                () -> new PreprocessConfig(
                        336,
                        14,
                        new float[3],
                        new float[] {1, 1, 1},
                        AspectMode.ANYRES,
                        List.of(new Resolution(300, 600)),
                        ResampleFilter.BICUBIC,
                        0));
        float[] mean = v15.mean();
        mean[0] = 9;
        assertEquals(0.48145466f, v15.mean()[0]); // defensive copies
        assertEquals(v15, PreprocessConfig.llava15Clip());
    }

    @Test
    void pythonFloorDivision() {
        assertEquals(60.0, AnyresMath.pyFloorDiv(75, Math.sqrt(75 * 135 / (9.0 * 729))));
        assertEquals(-4.0, AnyresMath.pyFloorDiv(-7, 2));
        assertEquals(3.0, AnyresMath.pyFloorDiv(7, 2));
        assertEquals(2.0, AnyresMath.pyFloorDiv(1.0, 0.5)); // 1 // 0.5 == 2.0 in Python
        assertEquals(9.0, AnyresMath.pyFloorDiv(1.0, 0.1)); // 1 // 0.1 == 9.0 in Python, not 10
    }
}
