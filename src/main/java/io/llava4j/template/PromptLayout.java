package io.llava4j.template;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A rendered prompt split into text chunks and image slots: the token-level layout that LLaVA's
 * {@code tokenizer_image_token} ({@code llava/mm_utils.py}) builds. The caller tokenizes the text
 * chunks and puts each image's embeddings in its slot; this class does no tokenization.
 *
 * <p>The reference splits the prompt on the literal {@code <image>} (Python {@code str.split}: empty
 * chunks are kept), tokenizes each chunk as a separate text with {@code tokenizer(chunk).input_ids}
 * (which adds BOS for Llama, Vicuna, Mistral and Yi vocabularies and nothing for Qwen), and if the
 * first chunk starts with BOS it emits BOS once and drops the first token of every chunk; one
 * {@code IMAGE_TOKEN_INDEX (-200)} goes between consecutive chunks. The equivalent with llama.cpp:
 *
 * <ul>
 *   <li>BOS once at the start: tokenize chunk 0 with {@code add_special = true} (the vocabulary
 *       decides whether a BOS is added, as the HF tokenizer does), see {@link Text#addBos()};
 *   <li>every later chunk without BOS ({@code add_special = false});
 *   <li>every chunk with {@code parse_special = true}, because HF tokenizers recognise special
 *       tokens such as {@code </s>} and {@code <|im_start|>} inside the text;
 *   <li>each chunk is tokenized on its own, as at the start of a text: with Llama's SentencePiece
 *       vocabulary {@code "\nWhat..."} becomes {@code [29871 ('▁'), 13 ('<0x0A>'), ...]} right
 *       after the image, which is what the reference feeds;
 *   <li>an empty chunk contributes no tokens (chunk 0 still gets its BOS).
 * </ul>
 *
 * <p>LLAMA_3 prompts begin with the literal text {@code <|begin_of_text|>}: the reference tokenizes
 * it as a second BOS after the one the tokenizer adds, so following the rule above reproduces the
 * reference's double BOS. To feed a single BOS, tokenize chunk 0 without {@code add_special}.
 *
 * @param textChunks the text around the images, one more than there are images; unmodifiable
 */
public record PromptLayout(List<String> textChunks) {
    /** A piece of the layout, in prompt order. */
    public sealed interface Part permits Text, Image {}

    /**
     * A text chunk to tokenize.
     *
     * @param text the chunk; may be empty
     * @param index the chunk's position among the text chunks
     * @param addBos true for chunk 0 only: tokenize with {@code add_special}
     */
    public record Text(String text, int index, boolean addBos) implements Part {}

    /**
     * The slot of one image.
     *
     * @param index which image (0 = the first {@code <image>} in the prompt)
     */
    public record Image(int index) implements Part {}

    /**
     * @throws Llava4jException {@link Code#INVALID_ARGUMENT} if there is no chunk or a chunk
     *     contains {@link Message#IMAGE_MARKER}
     */
    public PromptLayout {
        textChunks = List.copyOf(textChunks);
        if (textChunks.isEmpty()) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "a layout has at least one text chunk");
        }
        for (String chunk : textChunks) {
            if (chunk.contains(Message.IMAGE_MARKER)) {
                throw new Llava4jException(Code.INVALID_ARGUMENT, "text chunk contains " + Message.IMAGE_MARKER);
            }
        }
    }

    /** Splits a rendered prompt on every {@code <image>} (Python {@code prompt.split("<image>")}). */
    public static PromptLayout of(String prompt) {
        Objects.requireNonNull(prompt, "prompt");
        List<String> chunks = new ArrayList<>();
        int from = 0;
        for (int at = prompt.indexOf(Message.IMAGE_MARKER); at >= 0; at = prompt.indexOf(Message.IMAGE_MARKER, from)) {
            chunks.add(prompt.substring(from, at));
            from = at + Message.IMAGE_MARKER.length();
        }
        chunks.add(prompt.substring(from));
        return new PromptLayout(chunks);
    }

    /** The number of image slots ({@code <image>} markers in the prompt). */
    public int imageCount() {
        return textChunks.size() - 1;
    }

    /** Text 0, image 0, text 1, image 1, ..., text n: every chunk, empty ones included. */
    public List<Part> parts() {
        List<Part> parts = new ArrayList<>(2 * textChunks.size() - 1);
        for (int i = 0; i < textChunks.size(); i++) {
            if (i > 0) {
                parts.add(new Image(i - 1));
            }
            parts.add(new Text(textChunks.get(i), i, i == 0));
        }
        return List.copyOf(parts);
    }

    /**
     * Checks that the caller has exactly one image per slot; mirrors the reference worker's check
     * ("Number of images does not match number of &lt;image&gt; tokens in prompt").
     *
     * @return this
     * @throws Llava4jException {@link Code#INVALID_ARGUMENT} if the counts differ
     */
    public PromptLayout requireImages(int images) {
        if (images != imageCount()) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "number of images (" + images
                            + ") does not match number of " + Message.IMAGE_MARKER + " markers in the prompt ("
                            + imageCount() + ")");
        }
        return this;
    }
}
