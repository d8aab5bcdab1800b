package io.llava4j.cli;

import io.llava4j.conversation.Chat;
import io.llava4j.conversation.GenerationResult;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.demo.DemoModel;
import io.llava4j.image.ChatImage;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code llava4j run}: one question about one or more images. The answer streams to stdout and
 * nothing else goes there; the template choice and timings go to stderr.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Answer one question about images.",
            "Defaults follow LLaVA's CLI: temperature 0.2, top-k 50, at most 512 new tokens.",
            "Without --model it runs a built-in demo pair with random weights on a bundled picture."
        })
final class RunCommand implements Callable<Integer> {
    /** The question of the demo run (LLAVA.md's worked example). */
    static final String DEMO_PROMPT = "What is shown in this image?";

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptionsMixin modelOptions;

    @Mixin
    SamplingOptionsMixin sampling;

    @Option(
            names = {"-i", "--image"},
            paramLabel = "IMG",
            description = "Image path, http(s) URL or data: URI; repeat for several images"
                    + " (default with the demo model: a bundled picture).")
    List<String> images = new ArrayList<>();

    @Option(
            names = {"-p", "--prompt"},
            paramLabel = "TEXT",
            description = "The question; <image> marks where each image goes (default: before the text).")
    String prompt;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        modelOptions.validate(spec.commandLine(), !images.isEmpty());
        if (prompt == null && !modelOptions.demo()) {
            throw new ParameterException(spec.commandLine(), "--prompt is required");
        }
        GenerationSettings settings = sampling.settings();
        List<ChatImage> pictures = new ArrayList<>();
        for (String image : images) {
            pictures.add(ChatImage.load(image));
        }
        if (modelOptions.demo()) {
            if (pictures.isEmpty()) {
                pictures.add(ChatImage.of(DemoModel.image(), null));
            }
            if (prompt == null) {
                prompt = DEMO_PROMPT;
            }
            err.println("llava4j: demo question \"" + prompt + "\" about "
                    + (images.isEmpty() ? "the bundled picture (a house, a tree and the sun)" : "your image"));
        }
        ModelOptionsMixin.ModelFiles files = modelOptions.files(err);
        long t0 = System.nanoTime();
        StreamingOutput stream = new StreamingOutput(out, err);
        try (LlavaModel llava =
                        modelOptions.open(files, stream, err, settings.sampler().seed());
                Chat chat = llava.newChat(modelOptions.contextOptions())) {
            long loadMillis = (System.nanoTime() - t0) / 1_000_000;
            chat.setSystemPrompt(modelOptions.system);
            chat.addUser(prompt, pictures);
            GenerationResult r = chat.generate(settings, stream);
            stream.clearProgress();
            out.println();
            out.flush();
            err.println(timings(loadMillis, r));
            err.flush();
        }
        return 0;
    }

    static String timings(long loadMillis, GenerationResult r) {
        return String.format(
                Locale.ROOT,
                "llava4j: load %d ms | encode %d ms (%d image positions) | prompt %d positions in %d ms (%.1f/s)"
                        + " | generated %d tokens in %d ms (%.1f tok/s) | %s",
                loadMillis,
                r.encodeMillis(),
                r.imagePositions(),
                r.evaluatedPositions(),
                r.prefillMillis(),
                r.prefillPerSecond(),
                r.generatedTokens(),
                r.generateMillis(),
                r.generatePerSecond(),
                r.finishReason().name().toLowerCase(Locale.ROOT));
    }
}
