package io.llava4j.cli;

import io.llava4j.Llava4jException;
import io.llava4j.gguf.GgufFile;
import io.llava4j.image.ImageLoader;
import io.llava4j.image.RgbImage;
import io.llava4j.model.ModelFileCheck;
import io.llava4j.vision.MmprojConfig;
import io.llava4j.vision.preprocess.FloatImage;
import io.llava4j.vision.preprocess.PreprocessedImage;
import io.llava4j.vision.preprocess.Preprocessor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code llava4j preprocess}: the model-input images of one picture as {@code .npy} files, for
 * checking preprocessing against a reference (no native code involved).
 */
@Command(
        name = "preprocess",
        mixinStandardHelpOptions = true,
        description = {
            "Write the model-input images of an image as float32 .npy files [H, W, 3] (normalised):",
            "0.npy is the base image, tiles follow in row-major order."
        })
final class PreprocessCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--mmproj",
            required = true,
            paramLabel = "MM.gguf",
            description = "The mmproj (decides the preprocessing).")
    Path mmproj;

    @Option(
            names = "--image",
            required = true,
            paramLabel = "IMG",
            description = "Image path, http(s) URL or data: URI.")
    String image;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (created).")
    Path out;

    @Override
    public Integer call() throws IOException {
        GgufFile file = ModelFileCheck.checkProjector(mmproj);
        MmprojConfig config = MmprojConfig.from(file);
        RgbImage rgb = new ImageLoader().load(image);
        PreprocessedImage pre = new Preprocessor(config.preprocess()).process(rgb);
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new Llava4jException(Llava4jException.Code.IO, "cannot create " + out + ": " + e.getMessage(), e);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        for (int i = 0; i < pre.images().size(); i++) {
            FloatImage img = pre.images().get(i);
            Path f = out.resolve(i + ".npy");
            Npy.writeFloat32(f, img.data(), img.height(), img.width(), 3);
            stdout.printf(Locale.ROOT, "%s  [%d, %d, 3]%n", f, img.height(), img.width());
        }
        stdout.printf(
                Locale.ROOT,
                "%s %dx%d, %s, %d model input image(s)%n",
                image,
                rgb.width(),
                rgb.height(),
                config.preprocess().aspectMode(),
                pre.images().size());
        stdout.flush();
        return 0;
    }
}
