package io.llava4j.conversation;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.chat.ModelFacts;
import io.llava4j.chat.TemplateChoice;
import io.llava4j.chat.TemplateSelector;
import io.llava4j.gguf.GgufFile;
import io.llava4j.image.RgbImage;
import io.llava4j.model.ContextOptions;
import io.llava4j.model.LanguageModel;
import io.llava4j.model.ModelFileCheck;
import io.llava4j.model.ModelOptions;
import io.llava4j.vision.ImageEmbedder;
import io.llava4j.vision.ImageEmbedder.ImageEmbedding;
import io.llava4j.vision.MmprojConfig;
import io.llava4j.vision.VisionEncoder;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LLaVA model: the language model, its mmproj (vision encoder + projector) and the conversation
 * template, opened once and shared by {@link Chat}s.
 *
 * <p>Thread-safety: chats may run on different threads; image encoding is serialised inside
 * this class. Close order: close the chats first; closing the model while chats are open keeps
 * the language model alive until they close (see {@link LanguageModel}), but their images can no
 * longer be encoded.
 */
public final class LlavaModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LlavaModel.class);

    private final LanguageModel lm;
    private final VisionEncoder encoder;
    private final ImageEmbedder embedder;
    private final TemplateChoice template;

    private LlavaModel(LanguageModel lm, VisionEncoder encoder, ImageEmbedder embedder, TemplateChoice template) {
        this.lm = lm;
        this.encoder = encoder;
        this.embedder = embedder;
        this.template = template;
    }

    /**
     * Opens a model pair. Both files are validated in Java first, and the mmproj must produce
     * embeddings as wide as the language model's input.
     *
     * @param mmproj the vision part, or null for text only
     * @param templateName a conversation mode ({@code --template}), or null to choose from the metadata
     * @throws Llava4jException {@code IO}, {@code INVALID_FILE}, {@code INCOMPATIBLE} or {@code LOAD_FAILED}
     */
    public static LlavaModel open(Path languageModel, Path mmproj, ModelOptions options, boolean gpuVision,
            String templateName) {
        GgufFile lmHeader = ModelFileCheck.checkLanguageModel(languageModel);
        if (mmproj != null) {
            ModelFileCheck.checkPair(ModelFileCheck.checkProjector(mmproj), lmHeader);
        }
        TemplateChoice template = TemplateSelector.select(facts(lmHeader), templateName);
        LOG.info("conversation template {}: {}", template.template().name(), template.reason());
        LanguageModel lm = LanguageModel.load(languageModel, options);
        VisionEncoder encoder = null;
        try {
            ImageEmbedder embedder = null;
            if (mmproj != null) {
                encoder = VisionEncoder.load(mmproj, gpuVision);
                if (encoder.embeddingWidth() != lm.embeddingWidth()) {
                    throw new Llava4jException(Code.INCOMPATIBLE, mmproj.getFileName() + " produces embeddings of width "
                            + encoder.embeddingWidth() + " but " + languageModel.getFileName() + " takes "
                            + lm.embeddingWidth() + ": they are not a pair");
                }
                embedder = new ImageEmbedder(encoder, MmprojConfig.from(encoder.header()));
            }
            return new LlavaModel(lm, encoder, embedder, template);
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
        int vocab = lm.has("tokenizer.ggml.tokens") ? lm.value("tokenizer.ggml.tokens").length() : 0;
        return new ModelFacts(lm.optionalString("general.name").orElse(""), lm.path().getFileName().toString(),
                lm.optionalString("general.architecture").orElse(""), vocab,
                lm.optionalString("tokenizer.ggml.model").orElse(""),
                lm.optionalString("tokenizer.chat_template").orElse(""));
    }

    /** A new conversation with its own context; the caller closes it. */
    public Chat newChat(ContextOptions options) {
        return new Chat(this, options);
    }

    public LanguageModel languageModel() {
        return lm;
    }

    /** The vision encoder, absent for a text-only model. */
    public Optional<VisionEncoder> visionEncoder() {
        return Optional.ofNullable(encoder);
    }

    /** The template in use and why it was chosen. */
    public TemplateChoice template() {
        return template;
    }

    /** Preprocesses, encodes and merges one image; serialised across chats. */
    ImageEmbedding embed(RgbImage image, int threads) {
        if (embedder == null) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, lm.path().getFileName()
                    + " was opened without an mmproj: it cannot see images");
        }
        synchronized (embedder) {
            return embedder.embed(image, threads);
        }
    }

    /** Closes the encoder and releases the language model (freed once the last chat closes). */
    @Override
    public void close() {
        if (encoder != null) {
            encoder.close();
        }
        lm.close();
    }
}
