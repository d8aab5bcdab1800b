package io.llava4j.vision.preprocess;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code image_grid_pinpoints} in the forms checkpoints and mmproj files carry. Results are
 * (width, height) in the original order, which matters for tie-breaking.
 */
public final class GridPinpoints {
    /** LLaVA-1.6 (CLIP-L/14-336): {@code [[336,672],[672,336],[672,672],[1008,336],[336,1008]]}. */
    public static final List<Resolution> LLAVA_V16 = List.of(
            new Resolution(336, 672),
            new Resolution(672, 336),
            new Resolution(672, 672),
            new Resolution(1008, 336),
            new Resolution(336, 1008));
    /** LLaVA-NeXT-Interleave (SigLIP-384): the LLaVA-1.6 list scaled to 384. */
    public static final List<Resolution> NEXT_INTERLEAVE = List.of(
            new Resolution(384, 768),
            new Resolution(768, 384),
            new Resolution(768, 768),
            new Resolution(1152, 384),
            new Resolution(384, 1152));

    private static final Pattern RANGE_ITEM = Pattern.compile("\\((\\d+)x(\\d+)\\)");
    private static final Pattern PAIR = Pattern.compile("[\\[(]\\s*(\\d+)\\s*,\\s*(\\d+)\\s*[\\])]");
    private static final Set<Integer> RANGE_PATCH_SIZES = Set.of(224, 336, 384, 448, 512);

    private GridPinpoints() {}

    /**
     * Parses a pinpoint string.
     *
     * <ul>
     *   <li>{@code "[(336, 672), (672, 336)]"} or {@code "[[336, 672], ...]"}: the pairs as written
     *       ({@code ast.literal_eval} in LLaVA);
     *   <li>{@code "(1x1),...,(6x6)"} (LLaVA-NeXT, OneVision): the first and last items bound a range,
     *       expanded {@code [(i, j) for i in a0..b0 for j in a1..b1]} and multiplied by
     *       {@code tileSize}, which must be one of 224, 336, 384, 448, 512 as NeXT asserts.
     * </ul>
     *
     * @throws Llava4jException {@code INVALID_ARGUMENT} for text that is neither form
     */
    public static List<Resolution> parse(String text, int tileSize) {
        if (text == null || text.isBlank()) {
            throw invalid("empty image_grid_pinpoints");
        }
        if (text.contains("x")) {
            Matcher m = RANGE_ITEM.matcher(text);
            List<int[]> items = new ArrayList<>();
            while (m.find()) {
                items.add(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
            }
            if (items.isEmpty()) {
                throw invalid("no (AxB) items in image_grid_pinpoints '" + text + "'");
            }
            if (!RANGE_PATCH_SIZES.contains(tileSize)) {
                throw invalid("patch size " + tileSize + " not in [224, 336, 384, 448, 512] for '" + text + "'");
            }
            int[] start = items.get(0);
            int[] end = items.get(items.size() - 1);
            List<Resolution> out = new ArrayList<>();
            for (int i = start[0]; i <= end[0]; i++) {
                for (int j = start[1]; j <= end[1]; j++) {
                    out.add(new Resolution(i * tileSize, j * tileSize));
                }
            }
            if (out.isEmpty()) {
                throw invalid("empty range in image_grid_pinpoints '" + text + "'");
            }
            return List.copyOf(out);
        }
        Matcher m = PAIR.matcher(text);
        List<Resolution> out = new ArrayList<>();
        while (m.find()) {
            out.add(resolution(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))));
        }
        if (out.isEmpty()) {
            throw invalid("cannot parse image_grid_pinpoints '" + text + "'");
        }
        return List.copyOf(out);
    }

    /**
     * Pairs from a flat array {@code [w0, h0, w1, h1, ...]}, the form of the mmproj GGUF key
     * {@code clip.vision.image_grid_pinpoints}.
     *
     * @throws Llava4jException {@code INVALID_ARGUMENT} for an odd or empty array or a side below 1
     */
    public static List<Resolution> fromFlat(int[] values) {
        if (values.length == 0 || values.length % 2 != 0) {
            throw invalid("image_grid_pinpoints needs an even, non-zero number of values, got " + values.length);
        }
        List<Resolution> out = new ArrayList<>();
        for (int i = 0; i < values.length; i += 2) {
            out.add(resolution(values[i], values[i + 1]));
        }
        return List.copyOf(out);
    }

    private static Resolution resolution(int w, int h) {
        if (w < 1 || h < 1) {
            throw invalid("grid pinpoint " + w + "x" + h + " has a side below 1");
        }
        return new Resolution(w, h);
    }

    private static Llava4jException invalid(String message) {
        return new Llava4jException(Code.INVALID_ARGUMENT, message);
    }
}
