package io.llava4j.cli;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.cli.bench.BenchModels;
import io.llava4j.cli.bench.BenchReport;
import io.llava4j.cli.bench.LlamaServer;
import io.llava4j.cli.bench.LlavaRuns;
import io.llava4j.cli.bench.MtmdCli;
import io.llava4j.cli.bench.Scenarios;
import io.llava4j.cli.bench.StreamsSample;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.demo.DemoModel;
import io.llava4j.image.ChatImage;
import io.llava4j.quantize.QuantType;
import io.llava4j.sampling.SamplerConfig;
import io.llava4j.synthetic.BenchShape;
import io.llava4j.template.SeparatorStyle;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code llava4j bench}: times the phases of answering about an image (load, encode, prefill,
 * generation, first token, memory) over repeated runs, optionally interleaved with llama.cpp's
 * {@code llama-mtmd-cli} on the same files. Progress goes to stderr, the report to stdout.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Measure load, CLIP encode, prefill, generation, time to first token and peak memory.",
            "Temperature 0; medians and min-max of --reps runs after --warmup runs. Models: -m/--mmproj, or a"
                    + " random-weight pair with a real model's shapes (--shape), written once into the cache."
        })
final class BenchCommand implements Callable<Integer> {
    static final String DEFAULT_PROMPT = "Describe the image in detail.";

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptionsMixin modelOptions;

    @Option(
            names = "--shape",
            paramLabel = "SHAPE",
            description =
                    "Generate a random-weight pair with real shapes instead of -m: tiny, qwen-0.5b, llava-1.5-7b.")
    String shape;

    @Option(
            names = "--quant",
            paramLabel = "TYPE",
            description = "With --shape: quantize its language model (q4_k_m, q5_k_m, q8_0, q4_0, q5_0, f16).")
    String quant;

    @Option(
            names = {"-i", "--image"},
            paramLabel = "FILE",
            description = "The image (default: the bundled demo picture).")
    Path image;

    @Option(
            names = {"-p", "--prompt"},
            paramLabel = "TEXT",
            description = "The question (default: \"" + DEFAULT_PROMPT + "\").")
    String prompt = DEFAULT_PROMPT;

    @Option(
            names = {"-n", "--max-tokens"},
            paramLabel = "N",
            defaultValue = "128",
            description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--reps", paramLabel = "N", defaultValue = "5", description = "Measured runs (default: 5).")
    int reps;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1", description = "Runs before (default: 1).")
    int warmup;

    @Option(
            names = "--scenario",
            paramLabel = "NAME",
            defaultValue = "first",
            description = "first (one question per run, model loaded each time), followup (then a second"
                    + " question about the same image in the same chat), streams (concurrent chats of one model).")
    String scenario;

    @Option(
            names = "--followup",
            paramLabel = "TEXT",
            defaultValue = "What stands out most in it?",
            description = "The second question of --scenario followup (default: \"${DEFAULT-VALUE}\").")
    String followup;

    @Option(
            names = "--streams",
            paramLabel = "N,...",
            split = ",",
            description = "Concurrent chats per round of --scenario streams (default: 1,2,4).")
    List<Integer> streams = new ArrayList<>(List.of(1, 2, 4));

    @Option(
            names = "--compare",
            paramLabel = "TOOL[=PATH]",
            description = "Interleave runs of llama.cpp's own tool on the same files and print the ratios:"
                    + " llama-mtmd-cli with --scenario first, llama-server (the same -np as each stream count)"
                    + " with --scenario streams (default: target/native/bin/TOOL).")
    String compare;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        validate();
        ModelOptionsMixin.ModelFiles files = files(err);
        ChatImage picture = image != null ? ChatImage.of(image) : ChatImage.of(DemoModel.image(), null);
        GenerationSettings settings = new GenerationSettings(SamplerConfig.greedy(), maxTokens, List.of());
        SeparatorStyle[] style = new SeparatorStyle[1];
        PrintWriter quiet = new PrintWriter(Writer.nullWriter());
        StreamingOutput noProgress = new StreamingOutput(quiet, quiet, false);
        Supplier<LlavaModel> opener = () -> {
            LlavaModel m = modelOptions.open(files, noProgress, style[0] == null ? err : quiet, "temperature 0");
            style[0] = m.template().template().style();
            return m;
        };
        LlavaRuns runs =
                new LlavaRuns(opener, modelOptions.contextOptions(), settings, picture, prompt, modelOptions.system);
        Scenarios scenarios = new Scenarios(runs, warmup, reps, err);
        BenchReport report = new BenchReport()
                .config("scenario", scenario)
                .config("model", files.model() + " + " + files.mmproj())
                .config("image", image != null ? image.toString() : "bundled demo picture (640x427)")
                .config("prompt", prompt)
                .config("tokens", maxTokens)
                .config("runs", reps + " measured after " + warmup + " warm-up")
                .config("threads", modelOptions.threads)
                .config("context", modelOptions.ctx)
                .config("machine", io.llava4j.cli.bench.BenchMachine.describe());
        switch (scenario) {
            case "first" -> {
                Supplier<MtmdCli> other = null;
                if (compare != null) {
                    Path imageFile = imageFile();
                    Path tool = comparedTool("llama-mtmd-cli");
                    other = () -> new MtmdCli(tool, mtmdArgs(files, imageFile, style[0]), 3600);
                    report.comparedWith("llama-mtmd-cli");
                    report.config("compared", tool);
                }
                scenarios.first(report, other);
            }
            case "followup" -> {
                report.config("follow-up", followup);
                scenarios.followup(report, followup);
            }
            default -> {
                Scenarios.StreamsTool other = null;
                if (compare != null) {
                    Path tool = comparedTool("llama-server");
                    other = serverTool(tool, files, style);
                    report.comparedWith("llama-server");
                    report.config("compared", tool);
                }
                scenarios.streams(
                        report, opener, streams, modelOptions.contextOptions(), settings, picture, prompt, other);
            }
        }
        if (json) {
            report.printJson(out);
        } else {
            report.printTable(out);
        }
        return 0;
    }

    private void validate() {
        var cmd = spec.commandLine();
        modelOptions.validate(cmd, true);
        if (shape != null && !modelOptions.demo()) {
            throw new ParameterException(cmd, "--shape and --model exclude each other");
        }
        if (quant != null && shape == null) {
            throw new ParameterException(
                    cmd, "--quant needs --shape (quantize your own files with `llava4j quantize`)");
        }
        if (!List.of("first", "followup", "streams").contains(scenario)) {
            throw new ParameterException(cmd, "--scenario " + scenario + ": expected first, followup or streams");
        }
        if (compare != null) {
            String expected = switch (scenario) {
                case "first" -> "llama-mtmd-cli";
                case "streams" -> "llama-server";
                default ->
                    throw new ParameterException(
                            cmd, "--compare runs with --scenario first (llama-mtmd-cli) or streams (llama-server)");
            };
            if (!compare.equals(expected) && !compare.startsWith(expected + "=")) {
                throw new ParameterException(
                        cmd,
                        "--compare " + compare + ": --scenario " + scenario + " compares with " + expected + " or "
                                + expected + "=PATH");
            }
        }
        if (reps < 1 || warmup < 0 || maxTokens < 1) {
            throw new ParameterException(cmd, "--reps and -n must be at least 1, --warmup at least 0");
        }
        if (streams.isEmpty() || streams.stream().anyMatch(n -> n < 1)) {
            throw new ParameterException(cmd, "--streams: counts of at least 1, e.g. 1,2,4");
        }
    }

    private ModelOptionsMixin.ModelFiles files(PrintWriter err) {
        if (shape == null) {
            return modelOptions.files(err);
        }
        BenchShape s;
        QuantType q;
        try {
            s = BenchShape.parse(shape);
            q = quant == null ? null : QuantType.parse(quant);
        } catch (IllegalArgumentException | Llava4jException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        BenchModels.BenchFiles f = BenchModels.ensure(DemoModel.defaultCache(), s, q, err);
        return new ModelOptionsMixin.ModelFiles(f.lm(), f.mmproj());
    }

    /** The image as a file llama-mtmd-cli can open: the one given, or the bundled picture written out. */
    private Path imageFile() {
        if (image != null) {
            return image;
        }
        try (InputStream in = DemoModel.class.getResourceAsStream(DemoModel.IMAGE_RESOURCE)) {
            if (in == null) {
                throw new Llava4jException(Code.IO, "this build lacks the bundled demo picture");
            }
            Path file = Files.createTempFile("llava4j-bench", ".png");
            file.toFile().deleteOnExit();
            Files.write(file, in.readAllBytes());
            return file;
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, "cannot write the demo picture for llama-mtmd-cli: " + e, e);
        }
    }

    private Path comparedTool(String name) {
        Path tool = compare.contains("=")
                ? Path.of(compare.substring(compare.indexOf('=') + 1))
                : Path.of(System.getProperty("llava4j.native.dir", "target/native"), "bin", name);
        if (!Files.isExecutable(tool)) {
            throw new Llava4jException(
                    Code.IO,
                    tool + " is not an executable: build llama.cpp's tools (the Maven build puts them in"
                            + " target/native/bin) or name one with --compare " + name + "=PATH");
        }
        return tool;
    }

    /**
     * llama-server on the same files with {@code count} slots of --ctx each (a KV stream per slot, as
     * llava4j's sequences), the same threads, KV type and offload; rounds ask the same question.
     */
    private Scenarios.StreamsTool serverTool(Path tool, ModelOptionsMixin.ModelFiles files, SeparatorStyle[] style) {
        byte[] picture;
        Path imageFile = imageFile();
        try {
            picture = Files.readAllBytes(imageFile);
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, imageFile + ": cannot read: " + e.getMessage(), e);
        }
        String name = imageFile.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        String mime = name.endsWith(".png")
                ? "image/png"
                : name.endsWith(".webp") ? "image/webp" : name.endsWith(".gif") ? "image/gif" : "image/jpeg";
        return new Scenarios.StreamsTool() {
            @Override
            public LlamaServer start(int count) {
                List<String> a = new ArrayList<>(List.of(
                        "-m",
                        files.model().toString(),
                        "--mmproj",
                        files.mmproj().toString(),
                        "-np",
                        Integer.toString(count),
                        "-c",
                        Integer.toString(count * modelOptions.ctx),
                        "--no-kv-unified",
                        "-t",
                        Integer.toString(modelOptions.threads),
                        "-tb",
                        Integer.toString(modelOptions.threads),
                        "--no-webui"));
                a.addAll(sharedArgs(files, style[0]));
                if (a.contains("--chat-template")) {
                    // a built-in template's name is a template only to the legacy engine; with jinja
                    // (the server's default) the name itself would be rendered
                    a.add("--no-jinja");
                }
                return LlamaServer.start(tool, a, 3600);
            }

            @Override
            public StreamsSample round(LlamaServer server, int count) throws InterruptedException {
                return server.round(count, picture, mime, prompt, modelOptions.system, maxTokens);
            }
        };
    }

    /** llama-mtmd-cli's arguments for the same files, image, prompt, length, threads and context. */
    private List<String> mtmdArgs(ModelOptionsMixin.ModelFiles files, Path imageFile, SeparatorStyle style) {
        List<String> a = new ArrayList<>(List.of(
                "-m", files.model().toString(),
                "--mmproj", files.mmproj().toString(),
                "--image", imageFile.toString(),
                "-p", prompt,
                "-n", Integer.toString(maxTokens),
                "-t", Integer.toString(modelOptions.threads),
                "-c", Integer.toString(modelOptions.ctx),
                "--temp", "0"));
        a.addAll(sharedArgs(files, style));
        if (modelOptions.system != null) {
            a.addAll(List.of("-sys", modelOptions.system));
        }
        return a;
    }

    /** The arguments llama-mtmd-cli and llama-server share: chat template, KV type, offload. */
    private List<String> sharedArgs(ModelOptionsMixin.ModelFiles files, SeparatorStyle style) {
        List<String> a = new ArrayList<>();
        if (!hasChatTemplate(files.model())) {
            // legacy LLaVA files carry none; llama.cpp's tools then need one named
            a.add("--chat-template");
            a.add(
                    switch (style) {
                        case CHATML -> "chatml";
                        case LLAMA_2 -> "llama2";
                        case LLAMA_3 -> "llama3";
                        default -> "vicuna";
                    });
        }
        if (!modelOptions.kvType.equalsIgnoreCase("f16")) {
            a.addAll(List.of("-ctk", modelOptions.kvType, "-ctv", modelOptions.kvType));
        }
        if (modelOptions.gpuLayers.matches("-?\\d+")) {
            a.addAll(List.of("-ngl", modelOptions.gpuLayers));
        }
        if (modelOptions.mmprojOnCpu) {
            a.add("--no-mmproj-offload");
        }
        return a;
    }

    private static boolean hasChatTemplate(Path lm) {
        return io.llava4j.gguf.GgufReader.read(lm).has(io.llava4j.gguf.LlmKeys.TOKENIZER_CHAT_TEMPLATE);
    }
}
