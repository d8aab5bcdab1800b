package io.llava4j.template;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.util.Objects;

/**
 * One turn of a conversation: who speaks, what they say and how many images come with it. Image
 * payloads never enter this package; a message only records a count, and the rendered prompt
 * shows where each image goes with the literal {@link #IMAGE_MARKER}.
 *
 * <p>The two forms of the reference's message are kept apart by {@link #imageCount()}:
 *
 * <ul>
 *   <li>{@code imageCount == 0}: a plain string (LLaVA {@code cli.py}, {@code run_llava.py}, eval
 *       scripts). It is rendered verbatim; a caller that wants an image puts {@code "<image>\n"} in
 *       the text itself.
 *   <li>{@code imageCount > 0}: the reference's tuple {@code (text, images, mode)} (gradio/worker
 *       path). The template decides where the markers go: the first message of a conversation is
 *       rewritten by the template's {@link ImageRewrite} rule, later ones keep their text (CHATML
 *       and LLAMA_3 prefix {@code "<image>" * imageCount}).
 * </ul>
 *
 * @param role who speaks; never null
 * @param text what is said; never null (empty is allowed and behaves like Python's falsy
 *     {@code ""} in the reference, see {@link ChatTemplate#render(String, java.util.List)})
 * @param imageCount how many images this message carries; 0 for assistant messages
 */
public record Message(Role role, String text, int imageCount) {
    /**
     * The image placeholder in message and prompt text. A rendered prompt is split on it
     * ({@link PromptLayout}) and the k-th occurrence is replaced by the k-th image's embeddings
     * (the reference's {@code DEFAULT_IMAGE_TOKEN}, token index {@code -200}).
     */
    public static final String IMAGE_MARKER = "<image>";

    /**
     * @throws NullPointerException if {@code role} or {@code text} is null
     * @throws Llava4jException {@link Code#INVALID_ARGUMENT} if {@code imageCount} is negative, or
     *     positive on an assistant message
     */
    public Message {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(text, "text");
        if (imageCount < 0) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "imageCount must be >= 0, got " + imageCount);
        }
        if (imageCount > 0 && role != Role.USER) {
            throw new Llava4jException(Code.INVALID_ARGUMENT,
                    "only user messages carry images; got an assistant message with " + imageCount);
        }
    }

    /** A user message without attached images (rendered verbatim, markers included). */
    public static Message user(String text) {
        return new Message(Role.USER, text, 0);
    }

    /** A user message carrying {@code imageCount} images (the reference's tuple message). */
    public static Message user(String text, int imageCount) {
        return new Message(Role.USER, text, imageCount);
    }

    /** An assistant reply, without its stop string. */
    public static Message assistant(String text) {
        return new Message(Role.ASSISTANT, text, 0);
    }

    /** Whether this is the reference's tuple form (images attached). */
    public boolean hasImages() {
        return imageCount > 0;
    }
}
