package io.llava4j.template;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.image.ChatImage;
import java.util.List;
import java.util.Objects;

/**
 * One turn of a conversation: who speaks, what they say and, for a user turn, the images that come
 * with it. This is the conversation's only turn type: a {@code Chat} keeps its history as messages
 * and a template renders them. Renderers never look at the pixels; they render {@link
 * #promptText()}, where each image is the literal {@link #IMAGE_MARKER}.
 *
 * <p>Image placement follows LLaVA's {@code cli.py}: markers in the text place the images in order
 * (one marker per image); a text without markers gets one {@code "<image>\n"} per image in front.
 *
 * @param role who speaks; never null
 * @param text what is said, as given (markers included when the caller placed the images); never
 *     null (empty is allowed and behaves like Python's falsy {@code ""} in the reference, see
 *     {@link ChatTemplate#render(String, List)})
 * @param images the images in order; empty for assistant messages
 */
public record Message(Role role, String text, List<ChatImage> images) {
    /**
     * The image placeholder in message and prompt text. A rendered prompt is split on it
     * ({@link PromptLayout}) and the k-th occurrence is replaced by the k-th image's embeddings
     * (the reference's {@code DEFAULT_IMAGE_TOKEN}, token index {@code -200}).
     */
    public static final String IMAGE_MARKER = "<image>";

    /**
     * @throws NullPointerException if {@code role}, {@code text} or an image is null
     * @throws Llava4jException {@link Code#INVALID_ARGUMENT} if an assistant message carries images,
     *     or the text has markers but not one per image (a message without images may hold markers:
     *     the reference's plain-string form, whose images the caller supplies with the prompt)
     */
    public Message {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(text, "text");
        images = List.copyOf(images);
        if (!images.isEmpty() && role != Role.USER) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "only user messages carry images; got an assistant message with " + images.size());
        }
        if (!images.isEmpty()) {
            checkMarkers(text, images.size());
        }
    }

    /**
     * Checks that the text's markers, if any, are one per attached image: what a conversation
     * needs, where the images travel with the message.
     *
     * @return this
     * @throws Llava4jException {@link Code#INVALID_ARGUMENT} if there are markers but not one per image
     */
    public Message requireOneMarkerPerImage() {
        checkMarkers(text, images.size());
        return this;
    }

    /** The check of {@link #requireOneMarkerPerImage()}; the constructor runs it before the fields are set. */
    private static void checkMarkers(String text, int images) {
        int markers = PromptLayout.of(text).imageCount();
        if (markers > 0 && markers != images) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "the text has " + markers + " " + IMAGE_MARKER + " markers for " + images
                            + " images: give one marker per image, or none");
        }
    }

    /** A user message without images (rendered verbatim). */
    public static Message user(String text) {
        return new Message(Role.USER, text, List.of());
    }

    /** A user message with images; see the class description for where they go. */
    public static Message user(String text, List<ChatImage> images) {
        return new Message(Role.USER, text, images);
    }

    /** An assistant reply, without its stop string. */
    public static Message assistant(String text) {
        return new Message(Role.ASSISTANT, text, List.of());
    }

    /**
     * The text the template renders: as given when it holds markers or there are no images, else
     * one {@code "<image>\n"} per image in front of it (LLaVA's {@code cli.py} for one image,
     * LLaVA-NeXT's multi-image demo for several).
     */
    public String promptText() {
        if (images.isEmpty() || text.contains(IMAGE_MARKER)) {
            return text;
        }
        return (IMAGE_MARKER + "\n").repeat(images.size()) + text;
    }
}
