package io.llava4j.quantize;

import io.llava4j.gguf.GgmlType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What one quantization did.
 *
 * @param input the file read
 * @param output the file written (complete and validated)
 * @param type the requested type
 * @param projector whether the input was an mmproj ({@code general.architecture = clip}) rather
 *     than a language model
 * @param inputBytes size of the input file
 * @param outputBytes size of the output file
 * @param tensors tensors in the file
 * @param converted tensors whose type changed
 * @param typeCounts how many output tensors have each type, in ggml's type order
 * @param fallbacks matrices stored in another type than planned because of their row length
 * @param elapsed wall time of the native quantization
 */
public record QuantizeReport(
        Path input,
        Path output,
        QuantType type,
        boolean projector,
        long inputBytes,
        long outputBytes,
        int tensors,
        int converted,
        Map<GgmlType, Integer> typeCounts,
        List<Fallback> fallbacks,
        Duration elapsed) {

    public QuantizeReport {
        EnumMap<GgmlType, Integer> ordered = new EnumMap<>(GgmlType.class);
        ordered.putAll(typeCounts);
        typeCounts = Collections.unmodifiableMap(ordered);
        fallbacks = List.copyOf(fallbacks);
    }

    /** Output size over input size. */
    public double ratio() {
        return inputBytes == 0 ? 0 : (double) outputBytes / inputBytes;
    }
}
