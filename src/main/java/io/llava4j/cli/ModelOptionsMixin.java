package io.llava4j.cli;

import io.llava4j.Llava4jException;
import io.llava4j.conversation.EmbeddingCache;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.conversation.LlavaModelBuilder;
import io.llava4j.demo.DemoModel;
import io.llava4j.gguf.GgmlType;
import io.llava4j.model.ContextOptions;
import io.llava4j.model.ModelOptions;
import io.llava4j.nativeio.Backends;
import io.llava4j.nativeio.RpcServers;
import io.llava4j.pull.ModelCache;
import io.llava4j.pull.ModelRef;
import io.llava4j.synthetic.SyntheticModels;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options that open a model pair and size its context, shared by {@code run}, {@code chat}
 * and {@code answer} so that they spell and default them the same way.
 */
final class ModelOptionsMixin {
    @Option(
            names = {"-m", "--model"},
            paramLabel = "LM.gguf|NAME",
            description =
                    "Language model GGUF, or a name downloaded with `llava4j pull` (e.g. llava-1.5-7b,"
                            + " llava-1.5-7b:q5_k, hf://owner/repo/file.gguf) (default: the built-in demo pair with random weights).")
    String modelArg;

    @Option(
            names = "--mmproj",
            paramLabel = "MM.gguf",
            description = "Vision encoder + projector GGUF"
                    + " (or hf://owner/repo/file.gguf); a model name from `llava4j pull` brings its own.")
    String mmprojArg;

    @Option(names = "--system", paramLabel = "TEXT", description = "System prompt (default: the template's).")
    String system;

    // --conv-mode is the name LLaVA's own scripts use for the same thing
    @Option(
            names = {"--template", "--conv-mode"},
            paramLabel = "NAME",
            description = "Conversation template, e.g. llava_v1, vicuna_v1, llava_llama_2, mistral_instruct,"
                    + " chatml_direct, llava_llama_3, qwen_1_5 (default: chosen from the model).")
    String template;

    @Option(
            names = "--image-cache",
            paramLabel = "DIR",
            description = "Also keep encoded images in DIR, so they are not encoded again after a restart.")
    Path imageCache;

    @Option(
            names = {"-t", "--threads"},
            paramLabel = "N",
            description = "CPU threads (default: all).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(
            names = {"-c", "--ctx"},
            paramLabel = "N",
            defaultValue = "4096",
            description = "Context length in tokens (default: ${DEFAULT-VALUE}).")
    int ctx;

    @Option(
            names = {"-ngl", "--gpu-layers"},
            paramLabel = "N|auto|all",
            defaultValue = "auto",
            description = "Layers to offload to the GPU: auto (default) fits as many as its free memory holds"
                    + " after the mmproj, KV cache and compute buffers, and says what it chose; all (or -1); or"
                    + " a number (0 = CPU only).")
    String gpuLayers;

    @Option(
            names = "--mmproj-on-cpu",
            description = "Keep the vision tower on the CPU (leaves the GPU to the" + " language model's layers).")
    boolean mmprojOnCpu;

    @Option(
            names = "--rpc",
            paramLabel = "HOST:PORT[,...]",
            description = "Place layers on llama.cpp rpc-server"
                    + " processes (`llava4j rpc-server`) too. No authentication or encryption: trusted networks only.")
    String rpc;

    @Option(
            names = "--kv-type",
            paramLabel = "TYPE",
            defaultValue = "f16",
            description = "Element type of the KV cache: f16 (default), f32 (exact, twice the memory), q8_0 or"
                    + " q4_0 (less memory).")
    String kvType;

    /** True when no {@code --model} was given, so the built-in demo pair stands in. */
    boolean demo() {
        return modelArg == null;
    }

    /**
     * Rejects option combinations that cannot work, before anything is loaded.
     *
     * @param withImages whether images were given on the command line
     * @throws ParameterException (exit code 2) naming the missing option
     */
    void validate(CommandLine cmd, boolean withImages) {
        if (gpuLayerCount() == Integer.MIN_VALUE) {
            throw new ParameterException(cmd, "--gpu-layers " + gpuLayers + ": expected auto, all or a number >= -1");
        }
        if (rpc != null) {
            try {
                RpcServers.Endpoint.parseList(rpc);
            } catch (Llava4jException e) {
                throw new ParameterException(cmd, "--rpc " + rpc + ": " + e.getMessage());
            }
        }
        if (kvType() == null) {
            throw new ParameterException(cmd, "--kv-type " + kvType + ": not a KV cache type (f16, f32, q8_0, q4_0)");
        }
        if (demo() && mmprojArg != null) {
            throw new ParameterException(cmd, "--mmproj needs --model (the language model it belongs to)");
        }
        if (withImages && mmprojArg == null && !demo() && !reference()) {
            throw new ParameterException(cmd, "--image needs --mmproj (the model's vision part)");
        }
    }

    /** Whether {@code --model} names a downloaded model rather than a file. */
    boolean reference() {
        return modelArg != null && ModelRef.isReference(modelArg);
    }

    /** Whether images can be given: an mmproj was named, or comes with the demo or a pulled model. */
    boolean canSee() {
        return mmprojArg != null || demo() || reference();
    }

    /**
     * The model files a command runs on.
     *
     * @param model the language model
     * @param mmproj the vision part, null for text only
     */
    record ModelFiles(Path model, Path mmproj) {}

    /**
     * The files the arguments name: without {@code --model}, the demo pair (written on first use),
     * saying loudly on stderr that its answers are gibberish; a path as it is; a model name from
     * {@code llava4j pull} as its files (a catalogue name gives the language model and its mmproj
     * unless {@code --mmproj} is given; an {@code hf://} URI one file).
     *
     * @throws io.llava4j.Llava4jException if a named model is not downloaded (saying how to pull it)
     */
    ModelFiles files(PrintWriter err) {
        if (demo()) {
            SyntheticModels.Pair pair = DemoModel.ensure(DemoModel.defaultCache());
            err.println("llava4j: no --model given: running the built-in DEMO pair, a tiny LLaVA-1.5-shaped model"
                    + " with RANDOM WEIGHTS (its answers are gibberish). For real answers pass --model and --mmproj.");
            err.println("llava4j: demo files: " + pair.lm().getParent());
            err.flush();
            return new ModelFiles(pair.lm(), pair.mmproj());
        }
        return resolve(modelArg, mmprojArg);
    }

    /**
     * The files a {@code --model} and {@code --mmproj} argument name (no demo pair): a path as it
     * is; an {@code hf://} URI as its downloaded file; a catalogue name as its language model and,
     * unless {@code mmprojArg} is given, its mmproj. {@code serve --serve} resolves its extra models
     * here too.
     *
     * @param mmprojArg null for none (or the catalogue entry's)
     * @throws io.llava4j.Llava4jException if a named model is not downloaded (saying how to pull it)
     */
    static ModelFiles resolve(String modelArg, String mmprojArg) {
        Path mmproj = mmprojArg == null
                ? null
                : mmprojArg.startsWith("hf://")
                        ? ModelRef.resolveFile(mmprojArg, ModelCache.fromEnvironment())
                        : Path.of(mmprojArg);
        if (!ModelRef.isReference(modelArg)) {
            return new ModelFiles(Path.of(modelArg), mmproj);
        }
        if (modelArg.startsWith("hf://")) {
            return new ModelFiles(ModelRef.resolveFile(modelArg, ModelCache.fromEnvironment()), mmproj);
        }
        ModelRef ref = ModelRef.resolve(modelArg);
        return new ModelFiles(ref.model(), mmproj != null ? mmproj : ref.mmproj());
    }

    /**
     * Opens the pair, showing load progress, then says on stderr which template and seed the
     * answers use: the start-up every model command shares. The caller closes the model.
     *
     * @throws io.llava4j.Llava4jException if a file is missing, malformed or the two do not match
     */
    LlavaModel open(ModelFiles files, StreamingOutput progress, PrintWriter err, long seed) {
        return open(files, progress, err, "seed " + seed);
    }

    /** As {@link #open(ModelFiles, StreamingOutput, PrintWriter, long)}, saying {@code seedNote} about seeds. */
    LlavaModel open(ModelFiles files, StreamingOutput progress, PrintWriter err, String seedNote) {
        EmbeddingCache cache = imageCache != null
                ? EmbeddingCache.onDisk(EmbeddingCache.DEFAULT_MAX_BYTES, imageCache)
                : EmbeddingCache.inMemory(EmbeddingCache.DEFAULT_MAX_BYTES);
        if (rpc != null) {
            RpcServers.add(RpcServers.Endpoint.parseList(rpc), RpcServers.DEFAULT_TIMEOUT);
        }
        LlavaModelBuilder builder = LlavaModel.builder(files.model())
                .mmproj(files.mmproj())
                .template(template)
                .embeddingCache(cache)
                .onLoad(progress);
        int n = gpuLayerCount();
        if (n == AUTO) {
            builder.fitGpu(contextOptions(), !mmprojOnCpu);
        } else {
            boolean localGpu =
                    Backends.gpus().stream().anyMatch(d -> !d.backend().equals("RPC"));
            builder.options(ModelOptions.defaults().withGpuLayers(n)).gpuVision(n != 0 && localGpu && !mmprojOnCpu);
        }
        LlavaModel llava = builder.open();
        progress.clearProgress();
        err.printf(
                Locale.ROOT,
                "llava4j: template %s (%s), %s%n",
                llava.template().template().name(),
                llava.template().reason(),
                seedNote);
        err.flush();
        return llava;
    }

    private static final int AUTO = -2;

    /** -2 for auto, -1 for all, N; Integer.MIN_VALUE when the text is none of these. */
    private int gpuLayerCount() {
        String v = gpuLayers.strip().toLowerCase(Locale.ROOT);
        if (v.equals("auto")) {
            return AUTO;
        }
        if (v.equals("all")) {
            return -1;
        }
        try {
            int n = Integer.parseInt(v);
            return n >= -1 ? n : Integer.MIN_VALUE;
        } catch (NumberFormatException e) {
            return Integer.MIN_VALUE;
        }
    }

    /** Context length and threads for a new conversation. */
    ContextOptions contextOptions() {
        return ContextOptions.defaults()
                .withContextLength(ctx)
                .withThreads(threads)
                .withKvType(kvType());
    }

    private GgmlType kvType() {
        return KvTypes.parse(kvType);
    }
}
