package io.llava4j.cli;

import io.llava4j.gguf.GgmlType;
import io.llava4j.quantize.Fallback;
import io.llava4j.quantize.QuantType;
import io.llava4j.quantize.QuantizeReport;
import io.llava4j.quantize.Quantizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code llava4j quantize IN.gguf OUT.gguf TYPE}: a smaller copy of a language model or an mmproj.
 * Progress goes to stderr, the size report to stdout. An existing OUT is only replaced with
 * {@code --force}, and only once the new file is complete.
 */
@Command(
        name = "quantize",
        mixinStandardHelpOptions = true,
        description = {
            "Quantize a language model or an mmproj GGUF (F32, F16 or BF16 weights) with llama.cpp's quantizer.",
            "Norms, biases and the CLIP position and patch embeddings keep their type; matrices whose rows do not"
                    + " split into whole blocks fall back to a smaller block type (reported)."
        })
final class QuantizeCommand implements Callable<Integer> {
    /** Fallbacks listed one by one; the rest are counted. */
    private static final int FALLBACKS_SHOWN = 8;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN.gguf", description = "The F32/F16/BF16 language model or mmproj.")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT.gguf", description = "The file to write (not IN).")
    Path output;

    @Parameters(index = "2", paramLabel = "TYPE", description = "One of: ${COMPLETION-CANDIDATES} (case-insensitive).")
    QuantType type;

    @Option(
            names = {"-f", "--force"},
            description = "Replace OUT if it exists (only after the new file is complete).")
    boolean force;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        ProgressBar bar = ProgressBar.forConsole(err, "quantizing " + input.getFileName() + " to " + type);
        QuantizeReport report;
        try {
            report = Quantizer.quantize(
                    input,
                    output,
                    type,
                    force,
                    (done, total, tensor) -> bar.update(done, total, done + "/" + total + " tensors"));
        } finally {
            bar.finish();
        }
        printFallbacks(err, report.fallbacks());
        PrintWriter out = spec.commandLine().getOut();
        out.printf(
                Locale.ROOT,
                "wrote %s (%s %s): %s -> %s (%.1f%% of the input), %d tensors, %d converted, %.1f s%n",
                report.output(),
                report.projector() ? "mmproj" : "language model",
                report.type(),
                Sizes.bytes(report.inputBytes()),
                Sizes.bytes(report.outputBytes()),
                report.ratio() * 100,
                report.tensors(),
                report.converted(),
                report.elapsed().toMillis() / 1000.0);
        out.printf(Locale.ROOT, "tensor types: %s%n", typeSummary(report.typeCounts()));
        out.flush();
        return 0;
    }

    private static void printFallbacks(PrintWriter err, List<Fallback> fallbacks) {
        if (fallbacks.isEmpty()) {
            return;
        }
        err.printf(
                Locale.ROOT,
                "note: %d matrices have rows that do not split into whole blocks of their planned type"
                        + " and were stored in another type:%n",
                fallbacks.size());
        fallbacks.stream().limit(FALLBACKS_SHOWN).forEach(f -> err.println("  " + f));
        if (fallbacks.size() > FALLBACKS_SHOWN) {
            err.printf(Locale.ROOT, "  ... and %d more%n", fallbacks.size() - FALLBACKS_SHOWN);
        }
        err.flush();
    }

    private static String typeSummary(Map<GgmlType, Integer> counts) {
        return counts.entrySet().stream()
                .map(e -> e.getKey().ggmlName() + " " + e.getValue())
                .collect(Collectors.joining(", "));
    }
}
