package io.llava4j.conversation;

import io.llava4j.gguf.GgufReader;
import io.llava4j.model.ContextOptions;
import io.llava4j.model.GpuFit;
import io.llava4j.model.MemoryPlan;
import io.llava4j.model.ModelOptions;
import io.llava4j.nativeio.Backends;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Options for opening a {@link LlavaModel}: {@code LlavaModel.builder(lm).mmproj(mm).open()}.
 * Not thread-safe; one builder may open several models.
 */
public final class LlavaModelBuilder {
    private static final Logger LOG = LoggerFactory.getLogger(LlavaModelBuilder.class);
    final Path languageModel;
    Path mmproj;
    ModelOptions options = ModelOptions.defaults();
    boolean gpuVision;
    String template;
    EmbeddingCache cache;
    LoadListener progress = LoadListener.NONE;
    private ContextOptions fitContext;
    private boolean fitVision;

    LlavaModelBuilder(Path languageModel) {
        this.languageModel = Objects.requireNonNull(languageModel, "languageModel");
    }

    /** The vision part; without one the model is text-only. */
    public LlavaModelBuilder mmproj(Path file) {
        this.mmproj = file;
        return this;
    }

    /** How the language model is loaded (GPU layers, mmap). */
    public LlavaModelBuilder options(ModelOptions o) {
        this.options = Objects.requireNonNull(o, "options");
        return this;
    }

    /** Run the vision encoder on the GPU backend, when the build has one. */
    public LlavaModelBuilder gpuVision(boolean on) {
        this.gpuVision = on;
        return this;
    }

    /**
     * Places as many layers on the GPUs as their free memory holds for chats of {@code context}
     * (see {@link GpuFit}), and the vision tower there too when {@code visionOnGpu} and it fits;
     * overrides {@link #options}'s layer count and {@link #gpuVision}. Without a GPU, everything
     * stays on the CPU. The choice is logged.
     */
    public LlavaModelBuilder fitGpu(ContextOptions context, boolean visionOnGpu) {
        this.fitContext = Objects.requireNonNull(context, "context");
        this.fitVision = visionOnGpu;
        return this;
    }

    /** A conversation mode by name (e.g. {@code llava_v1}); null chooses from the metadata. */
    public LlavaModelBuilder template(String name) {
        this.template = name;
        return this;
    }

    /**
     * The cache of encoded images; share one between models to share entries across restarts of
     * the same pair. Default: in memory, {@link EmbeddingCache#DEFAULT_MAX_BYTES}.
     */
    public LlavaModelBuilder embeddingCache(EmbeddingCache c) {
        this.cache = c;
        return this;
    }

    /** Told how far loading is. */
    public LlavaModelBuilder onLoad(LoadListener listener) {
        this.progress = listener != null ? listener : LoadListener.NONE;
        return this;
    }

    /**
     * Validates and opens the pair.
     *
     * @throws io.llava4j.Llava4jException {@code IO}, {@code INVALID_FILE}, {@code INCOMPATIBLE} or
     *     {@code LOAD_FAILED}
     */
    public LlavaModel open() {
        if (cache == null) {
            cache = EmbeddingCache.inMemory(EmbeddingCache.DEFAULT_MAX_BYTES);
        }
        if (fitContext != null) {
            List<Backends.Device> gpus = Backends.gpus();
            MemoryPlan plan = MemoryPlan.of(
                    GgufReader.read(languageModel),
                    mmproj == null ? Optional.empty() : Optional.of(GgufReader.read(mmproj)),
                    fitContext);
            GpuFit fit = GpuFit.choose(plan, gpus, fitVision);
            if (!gpus.isEmpty()) {
                LOG.info("--gpu-layers auto: {}", fit.reason());
            }
            options = options.withGpuLayers(fit.gpuLayers());
            gpuVision = fit.visionOnGpu();
        }
        return LlavaModel.open(this);
    }
}
