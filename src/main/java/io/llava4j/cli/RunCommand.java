package io.llava4j.cli;

import io.llava4j.conversation.Chat;
import io.llava4j.conversation.GenerationResult;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.image.ImageLoader;
import io.llava4j.image.RgbImage;
import io.llava4j.model.ContextOptions;
import io.llava4j.model.ModelOptions;
import io.llava4j.sampling.SamplerConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code llava4j run}: one question about one or more images. The answer streams to stdout and
 * nothing else goes there; the template choice and timings go to stderr.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Answer one question about images.",
            "Defaults follow LLaVA's CLI: temperature 0.2, top-k 50, at most 512 new tokens."})
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "LM.gguf", description = "Language model GGUF.")
    Path model;

    @Option(names = "--mmproj", paramLabel = "MM.gguf", description = "Vision encoder + projector GGUF.")
    Path mmproj;

    @Option(names = {"-i", "--image"}, paramLabel = "IMG",
            description = "Image path, http(s) URL or data: URI; repeat for several images.")
    List<String> images = new ArrayList<>();

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "The question.")
    String prompt;

    @Option(names = "--system", paramLabel = "TEXT", description = "System prompt (default: the template's).")
    String system;

    @Option(names = "--template", paramLabel = "NAME",
            description = "Conversation template, e.g. llava_v1, vicuna_v1, llava_llama_2, mistral_instruct,"
                    + " chatml_direct, llava_llama_3, qwen_1_5 (default: chosen from the model).")
    String template;

    @Option(names = "--temp", paramLabel = "T", defaultValue = "0.2", description = "Temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "50", description = "Top-k; 0 = off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1.0", description = "Top-p; 1 = off (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.0", description = "Min-p; 0 = off (default: ${DEFAULT-VALUE}).")
    double minP;

    @Option(names = "--repeat-penalty", paramLabel = "R", defaultValue = "1.0",
            description = "Repetition penalty over the last 64 tokens; 1 = off (default: ${DEFAULT-VALUE}).")
    double repeatPenalty;

    @Option(names = "--seed", paramLabel = "N", description = "Random seed (default: random, printed on stderr).")
    Long seed;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "512",
            description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "CPU threads (default: all).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = {"-c", "--ctx"}, paramLabel = "N", defaultValue = "4096",
            description = "Context length in tokens (default: ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = {"-ngl", "--gpu-layers"}, paramLabel = "N", defaultValue = "0",
            description = "Layers to offload to the GPU; -1 = all (default: ${DEFAULT-VALUE}).")
    int gpuLayers;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (model == null) {
            throw new ParameterException(spec.commandLine(), "--model is required");
        }
        if (prompt == null) {
            throw new ParameterException(spec.commandLine(), "--prompt is required");
        }
        if (!images.isEmpty() && mmproj == null) {
            throw new ParameterException(spec.commandLine(), "--image needs --mmproj (the model's vision part)");
        }
        long actualSeed = seed != null ? seed : ThreadLocalRandom.current().nextLong() >>> 1;
        SamplerConfig sampler = SamplerConfig.defaults().withTemperature(temperature).withTopK(topK).withTopP(topP)
                .withMinP(minP).withRepeatPenalty(repeatPenalty).withSeed(actualSeed);
        GenerationSettings settings = GenerationSettings.defaults().withSampler(sampler).withMaxTokens(maxTokens);
        ImageLoader loader = new ImageLoader();
        List<RgbImage> rgb = new ArrayList<>();
        for (String image : images) {
            rgb.add(loader.load(image));
        }
        long t0 = System.nanoTime();
        try (LlavaModel llava = LlavaModel.open(model, mmproj, ModelOptions.defaults().withGpuLayers(gpuLayers),
                gpuLayers != 0, template);
                Chat chat = llava.newChat(ContextOptions.defaults().withContextLength(ctx).withThreads(threads))) {
            long loadMillis = (System.nanoTime() - t0) / 1_000_000;
            err.printf("llava4j: template %s (%s), seed %d%n", llava.template().template().name(),
                    llava.template().reason(), actualSeed);
            err.flush();
            chat.setSystemPrompt(system);
            chat.addUser(prompt, rgb);
            GenerationResult r = chat.generate(settings, piece -> {
                out.print(piece);
                out.flush();
            });
            out.println();
            out.flush();
            err.println(timings(loadMillis, r));
            err.flush();
        }
        return 0;
    }

    static String timings(long loadMillis, GenerationResult r) {
        return String.format(Locale.ROOT,
                "llava4j: load %d ms | encode %d ms (%d image positions) | prompt %d positions in %d ms (%.1f/s)"
                        + " | generated %d tokens in %d ms (%.1f tok/s) | %s",
                loadMillis, r.encodeMillis(), r.imagePositions(), r.evaluatedPositions(), r.prefillMillis(),
                r.prefillPerSecond(), r.generatedTokens(), r.generateMillis(), r.generatePerSecond(),
                r.finishReason().name().toLowerCase(Locale.ROOT));
    }
}
