package io.llava4j.cli;

import io.llava4j.convert.llava.Converter;
import io.llava4j.convert.llava.OutType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code llava4j convert --input DIR --output-dir OUT [--outtype T] [--vision-tower DIR] [--name N]}:
 * a LLaVA checkpoint (safetensors, PyTorch {@code .bin} or Paddle {@code .pdparams}) to the
 * language-model GGUF and the mmproj GGUF, without Python.
 */
@Command(
        name = "convert",
        mixinStandardHelpOptions = true,
        description = {
            "Convert a LLaVA checkpoint folder (llava-hf, original LLaVA, LLaVA-NeXT, PaddleNLP) to a"
                    + " language-model GGUF and an mmproj GGUF.",
            "Weights: safetensors (sharded with an index), PyTorch .bin, Paddle .pdparams (pickles are read"
                    + " restricted to tensor data; nothing in them is executed)."
        })
public final class ConvertCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = {"-i", "--input"},
            required = true,
            paramLabel = "DIR",
            description = "Checkpoint folder: config.json, weights, tokenizer files.")
    Path input;

    @Option(
            names = {"-o", "--output-dir"},
            required = true,
            paramLabel = "OUT",
            description = "Folder for <name>-<outtype>.gguf and mmproj-<name>-<outtype>.gguf (created if missing).")
    Path outputDir;

    @Option(
            names = "--outtype",
            paramLabel = "TYPE",
            defaultValue = "F16",
            description =
                    "Weight matrix type: f32, f16 (default), q8_0, q5_k_m, q4_k_m (the k-quants through llama.cpp's"
                            + " quantizer, as `llava4j quantize` does).")
    OutType outType;

    @Option(
            names = "--vision-tower",
            paramLabel = "DIR",
            description = "The vision tower's checkpoint folder (e.g. openai/clip-vit-large-patch14-336), for original"
                    + " LLaVA-1.5 checkpoints, which do not contain the tower weights, or whose config does not"
                    + " describe the tower.")
    Path visionTower;

    @Option(
            names = "--name",
            paramLabel = "NAME",
            description = "Model name for general.name and the file names (default: the input folder's name).")
    String name;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Converter.Result r = Converter.convert(new Converter.Options(input, outputDir, outType, visionTower, name));
        out.printf(Locale.ROOT, "layout:     %s%n", r.layout().description());
        out.printf(Locale.ROOT, "model:      %s, tokenizer %s%n", r.arch(), r.tokenizer());
        out.printf(Locale.ROOT, "wrote:      %s (%d tensors)%n", r.languageModel(), r.lmTensors());
        out.printf(Locale.ROOT, "            %s (%d tensors)%n", r.mmproj(), r.mmprojTensors());
        out.flush();
        PrintWriter err = spec.commandLine().getErr();
        r.warnings().forEach(w -> err.println("warning: " + w));
        err.flush();
        return 0;
    }
}
