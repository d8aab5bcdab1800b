package io.llava4j.cli.bench;

import io.llava4j.Llava4jException;
import io.llava4j.quantize.QuantType;
import io.llava4j.quantize.QuantizeListener;
import io.llava4j.quantize.Quantizer;
import io.llava4j.synthetic.BenchShape;
import io.llava4j.synthetic.SyntheticModels;
import io.llava4j.synthetic.VocabFiles;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The random-weight pairs of {@code bench --shape}, written once into {@code <cache>/bench/<shape>-v1/}
 * ({@code lm.gguf}, {@code mmproj.gguf} as the shape's spec writes them) and quantized on demand
 * ({@code lm-q4_k_m.gguf}). The pair is written into a temporary folder renamed into place, and the
 * quantizer writes through a temporary file too, so an interrupted run never leaves a partial model.
 */
public final class BenchModels {
    /** Bumped whenever a shape's spec or the writers change what is written. */
    static final String VERSION = "v1";

    private BenchModels() {}

    /**
     * The files of {@code shape}, with the language model quantized to {@code quant} (null: as
     * written), writing them first when missing; says on {@code err} what it writes.
     *
     * @throws Llava4jException {@code IO} if the cache cannot be written or a vocabulary is missing
     */
    public static BenchFiles ensure(Path cache, BenchShape shape, QuantType quant, PrintWriter err) {
        Path root = cache.resolve("bench");
        Path dir = root.resolve(shape.id() + "-" + VERSION);
        Path lm = dir.resolve("lm.gguf");
        Path mmproj = dir.resolve("mmproj.gguf");
        if (!Files.isRegularFile(lm) || !Files.isRegularFile(mmproj)) {
            err.printf(Locale.ROOT, "llava4j bench: writing the %s pair (random weights) into %s%n", shape.id(), dir);
            err.flush();
            SyntheticModels.writePairOnce(
                    dir,
                    shape.lm(),
                    tmp -> VocabFiles.find(shape.lm().vocab(), cache, tmp),
                    shape.clip(),
                    shape.id() + " pair");
        }
        if (quant == null) {
            return new BenchFiles(lm, mmproj);
        }
        Path quantized = dir.resolve("lm-" + quant.name().toLowerCase(Locale.ROOT) + ".gguf");
        if (!Files.isRegularFile(quantized)) {
            err.printf(Locale.ROOT, "llava4j bench: quantizing %s to %s%n", lm, quant);
            err.flush();
            Quantizer.quantize(lm, quantized, quant, false, QuantizeListener.NONE);
        }
        return new BenchFiles(quantized, mmproj);
    }

    /** A language model and its mmproj. */
    public record BenchFiles(Path lm, Path mmproj) {}
}
