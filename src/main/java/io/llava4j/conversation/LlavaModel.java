package io.llava4j.conversation;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.gguf.GeneralKeys;
import io.llava4j.gguf.GgufFile;
import io.llava4j.gguf.LlmKeys;
import io.llava4j.image.ChatImage;
import io.llava4j.model.ContextOptions;
import io.llava4j.model.FileIdentity;
import io.llava4j.model.LanguageModel;
import io.llava4j.model.ModelFileCheck;
import io.llava4j.model.ModelOptions;
import io.llava4j.nativeio.SharedHandle;
import io.llava4j.template.Message;
import io.llava4j.template.ModelFacts;
import io.llava4j.template.TemplateChoice;
import io.llava4j.template.TemplateSelector;
import io.llava4j.vision.ImageEmbedder;
import io.llava4j.vision.ImageEmbedder.EncodeProgress;
import io.llava4j.vision.MmprojConfig;
import io.llava4j.vision.VisionEncoder;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LLaVA model: the language model, its mmproj (vision encoder + projector) and the conversation
 * template, opened once and shared by {@link Chat}s.
 *
 * <p>Thread-safety: every method is safe from any thread, and chats may run on different threads;
 * image encoding is serialised inside this class. Close order: close the chats first. Closing the
 * model while chats are open is safe: it keeps the language model alive until they close (see
 * {@link LanguageModel}), and they still answer and save, but new images can no longer be encoded. {@link #close()} waits for an image
 * encode in flight; after it every method but {@code close()} throws {@code CLOSED}.
 */
public final class LlavaModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LlavaModel.class);

    private final LanguageModel lm;
    private final String lmName;
    private final VisionEncoder encoder;
    private final ImageEmbedder embedder;
    private final TemplateChoice template;
    private final EmbeddingCache cache;
    private final String lmIdentity;
    private final String mmprojIdentity;
    private volatile boolean closed;

    private LlavaModel(
            LanguageModel lm,
            VisionEncoder encoder,
            ImageEmbedder embedder,
            TemplateChoice template,
            EmbeddingCache cache,
            String lmIdentity,
            String mmprojIdentity) {
        this.lm = lm;
        this.lmName = lm.path().getFileName().toString();
        this.encoder = encoder;
        this.embedder = embedder;
        this.template = template;
        this.cache = cache;
        this.lmIdentity = lmIdentity;
        this.mmprojIdentity = mmprojIdentity;
    }

    /** Opens a pair with default options: CPU, template from the metadata, an in-memory image cache. */
    public static LlavaModel open(Path languageModel, Path mmproj) {
        return builder(languageModel).mmproj(mmproj).open();
    }

    /** Starts configuring a model to open. */
    public static LlavaModelBuilder builder(Path languageModel) {
        return new LlavaModelBuilder(languageModel);
    }

    /**
     * Opens a model pair. Both files are validated in Java first, and the mmproj must produce
     * embeddings as wide as the language model's input.
     *
     * @param mmproj the vision part, or null for text only
     * @param templateName a conversation mode ({@code --template}), or null to choose from the metadata
     * @throws Llava4jException {@code IO}, {@code INVALID_FILE}, {@code INCOMPATIBLE} or {@code LOAD_FAILED}
     */
    public static LlavaModel open(
            Path languageModel, Path mmproj, ModelOptions options, boolean gpuVision, String templateName) {
        return builder(languageModel)
                .mmproj(mmproj)
                .options(options)
                .gpuVision(gpuVision)
                .template(templateName)
                .open();
    }

    static LlavaModel open(LlavaModelBuilder b) {
        Path languageModel = b.languageModel;
        Path mmproj = b.mmproj;
        LoadListener progress = b.progress;
        GgufFile lmHeader = ModelFileCheck.checkLanguageModel(languageModel);
        GgufFile mmHeader = mmproj != null ? ModelFileCheck.checkProjector(mmproj) : null;
        if (mmHeader != null) {
            ModelFileCheck.checkPair(mmHeader, lmHeader);
        }
        TemplateChoice template = TemplateSelector.select(facts(lmHeader), b.template);
        LOG.info("conversation template {}: {}", template.template().name(), template.reason());
        String lmId = FileIdentity.of(languageModel);
        String mmId = mmproj != null ? FileIdentity.of(mmproj) : "";
        LanguageModel lm = LanguageModel.load(lmHeader, b.options, f -> progress.onLoad(languageModel, f));
        VisionEncoder encoder = null;
        try {
            ImageEmbedder embedder = null;
            if (mmproj != null) {
                progress.onLoad(mmproj, 0);
                encoder = VisionEncoder.load(mmHeader, b.gpuVision);
                progress.onLoad(mmproj, 1);
                if (encoder.embeddingWidth() != lm.embeddingWidth()) {
                    throw new Llava4jException(
                            Code.INCOMPATIBLE,
                            mmproj.getFileName() + " produces embeddings of width "
                                    + encoder.embeddingWidth() + " but " + languageModel.getFileName() + " takes "
                                    + lm.embeddingWidth() + ": they are not a pair");
                }
                embedder = new ImageEmbedder(encoder, MmprojConfig.from(encoder.header()));
            }
            return new LlavaModel(lm, encoder, embedder, template, b.cache, lmId, mmId);
        } catch (RuntimeException e) {
            if (encoder != null) {
                encoder.close();
            }
            lm.close();
            throw e;
        }
    }

    /** What the template selector looks at, from a language model's header. */
    static ModelFacts facts(GgufFile lm) {
        int vocab = lm.has(LlmKeys.TOKENIZER_TOKENS)
                ? lm.value(LlmKeys.TOKENIZER_TOKENS).length()
                : 0;
        return new ModelFacts(
                lm.optionalString(GeneralKeys.NAME).orElse(""),
                lm.path().getFileName().toString(),
                lm.optionalString(GeneralKeys.ARCHITECTURE).orElse(""),
                vocab,
                lm.optionalString(LlmKeys.TOKENIZER_MODEL).orElse(""),
                lm.optionalString(LlmKeys.TOKENIZER_CHAT_TEMPLATE).orElse(""));
    }

    /** A new conversation with its own context; the caller closes it. */
    public Chat newChat(ContextOptions options) {
        checkOpen();
        return new Chat(this, options);
    }

    /**
     * {@code count} conversations whose KV caches share one context and decode together, one batch
     * per step (see {@link ChatGroup}); each has {@code options.contextLength()} positions. The
     * caller closes the group.
     *
     * @throws Llava4jException {@code INVALID_ARGUMENT} for a count outside 1..256
     */
    public ChatGroup newChatGroup(ContextOptions options, int count) {
        checkOpen();
        return new ChatGroup(this, options, count);
    }

    /**
     * Opens a conversation saved by {@link Chat#save} in a new chat (the caller closes it); see
     * {@link ChatFile} for the format.
     *
     * @throws Llava4jException {@code IO} if the file cannot be read, {@code INVALID_FILE} if it is
     *     not a conversation file or an image changed, {@code INCOMPATIBLE} if it was saved with
     *     other model files, {@code ILLEGAL_STATE} if the model is closed
     */
    public Chat resume(Path file, ContextOptions options) {
        checkOpen();
        return ChatFile.open(this, file, options);
    }

    /** The model files and template, as a saved conversation records them. */
    ChatFile.Origin origin() {
        checkOpen();
        return new ChatFile.Origin(
                lmName, lmIdentity, mmprojIdentity, template.template().name());
    }

    /** A new conversation with {@link ContextOptions#defaults()}. */
    public Chat newChat() {
        checkOpen();
        return newChat(ContextOptions.defaults());
    }

    /** Whether an mmproj was opened: the model can take images. */
    public boolean canSee() {
        checkOpen();
        return embedder != null;
    }

    /** The cache of encoded images shared by this model's chats. */
    public EmbeddingCache embeddingCache() {
        checkOpen();
        return cache;
    }

    /** {@link FileIdentity} of the language model file. */
    public String languageModelIdentity() {
        checkOpen();
        return lmIdentity;
    }

    /** {@link FileIdentity} of the mmproj file, "" without one. */
    public String mmprojIdentity() {
        checkOpen();
        return mmprojIdentity;
    }

    public LanguageModel languageModel() {
        checkOpen();
        return lm;
    }

    /** The vision encoder, absent for a text-only model. */
    public Optional<VisionEncoder> visionEncoder() {
        checkOpen();
        return Optional.ofNullable(encoder);
    }

    /** The template in use and why it was chosen. */
    public TemplateChoice template() {
        checkOpen();
        return template;
    }

    /**
     * Renders a conversation with this model's template and tokenizes it, its images named but not
     * encoded: see {@link RenderedConversation}. Touches no context.
     *
     * @param systemPrompt null for the template's default, "" for none
     * @param turns user and assistant turns, alternating, starting and ending with a question
     * @throws Llava4jException {@code INVALID_ARGUMENT} if the template cannot render the turns
     *     (see {@link io.llava4j.template.ChatTemplate#render}) or they have images and the model
     *     has no mmproj
     */
    public RenderedConversation render(String systemPrompt, List<Message> turns) {
        checkOpen();
        if (embedder == null && turns.stream().anyMatch(m -> !m.images().isEmpty())) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT, lmName + " was opened without an mmproj: it cannot see images");
        }
        return RenderedConversation.of(this, systemPrompt, turns);
    }

    /**
     * The embeddings of one image in a layout, from the cache or encoded (serialised across chats).
     */
    Unit.Image embed(ChatImage image, EmbeddingKey.Layout layout, int threads, EncodeProgress progress) {
        if (embedder == null) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT, lmName + " was opened without an mmproj: it cannot see images");
        }
        EmbeddingKey key = new EmbeddingKey(image.sha256(), mmprojIdentity, layout);
        return Unit.Image.of(key, cache.get(key, () -> {
            synchronized (embedder) {
                checkOpen();
                return layout == EmbeddingKey.Layout.SINGLE
                        ? embedder.embed(image.pixels(), threads, progress)
                        : embedder.embedOneOfSeveral(image.pixels(), threads, progress);
            }
        }));
    }

    /**
     * Closes the encoder (after the encode in flight, if any) and releases the language model (freed
     * once the last chat closes). Idempotent.
     */
    @Override
    public void close() {
        if (embedder != null) {
            synchronized (embedder) { // encodes hold this lock: wait for the one in flight
                if (closed) {
                    return;
                }
                closed = true;
                encoder.close();
            }
        } else if (closed) {
            return;
        }
        closed = true;
        lm.close();
    }

    private void checkOpen() {
        if (closed) {
            throw SharedHandle.closed("LlavaModel " + lmName);
        }
    }
}
