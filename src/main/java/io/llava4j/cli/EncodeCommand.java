package io.llava4j.cli;

import io.llava4j.gguf.GgufFile;
import io.llava4j.image.ImageLoader;
import io.llava4j.model.ModelFileCheck;
import io.llava4j.vision.ImageEmbedder;
import io.llava4j.vision.MmprojConfig;
import io.llava4j.vision.VisionEncoder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code llava4j encode}: the embedding sequence an image becomes (preprocessing, CLIP encoder,
 * LLaVA-NeXT merge), as a {@code [n_tokens, n_embd]} float32 {@code .npy}.
 */
@Command(
        name = "encode",
        mixinStandardHelpOptions = true,
        description =
                "Write the embeddings the language model receives for an image as float32 .npy [n_tokens, n_embd].")
final class EncodeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--mmproj", required = true, paramLabel = "MM.gguf", description = "The mmproj.")
    Path mmproj;

    @Option(
            names = {"-m", "--model"},
            paramLabel = "LM.gguf",
            description = "Language model to check the embedding width against (optional).")
    Path model;

    @Option(
            names = "--image",
            required = true,
            paramLabel = "IMG",
            description = "Image path, http(s) URL or data: URI.")
    String image;

    @Option(names = "--out", required = true, paramLabel = "FILE.npy", description = "Output file.")
    Path out;

    @Option(
            names = {"-t", "--threads"},
            paramLabel = "N",
            description = "CPU threads (default: all).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--gpu", description = "Encode on the GPU backend, if one is compiled in.")
    boolean gpu;

    @Override
    public Integer call() {
        GgufFile file = ModelFileCheck.checkProjector(mmproj);
        if (model != null) {
            ModelFileCheck.checkPair(file, ModelFileCheck.checkLanguageModel(model));
        }
        MmprojConfig config = MmprojConfig.from(file);
        var rgb = new ImageLoader().load(image);
        long start = System.nanoTime();
        try (VisionEncoder encoder = VisionEncoder.load(file, gpu)) {
            ImageEmbedder.ImageEmbedding e = new ImageEmbedder(encoder, config).embed(rgb, threads);
            Npy.writeFloat32(out, e.data(), e.tokens(), e.width());
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.printf(
                    Locale.ROOT,
                    "%s  [%d, %d]  (%d ms)%n",
                    out,
                    e.tokens(),
                    e.width(),
                    (System.nanoTime() - start) / 1_000_000);
            stdout.flush();
        }
        return 0;
    }
}
