package io.llava4j.conversation;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.template.Message;
import io.llava4j.template.Role;
import java.util.List;
import java.util.Objects;

/**
 * One turn of a {@link Chat}: who speaks, what they say and, for a user turn, the images that come
 * with it.
 *
 * @param role who speaks
 * @param text what was said, as given (markers included when the caller placed images itself)
 * @param images the turn's images in order; empty for assistant turns
 */
public record ChatTurn(Role role, String text, List<ChatImage> images) {
    public ChatTurn {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(text, "text");
        images = List.copyOf(images);
        if (role == Role.ASSISTANT && !images.isEmpty()) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "only user turns carry images");
        }
    }

    /**
     * The text the template renders: as given when it holds {@code <image>} markers, else one
     * {@code "<image>\n"} per image in front of it (LLaVA's {@code cli.py} for one image,
     * LLaVA-NeXT's multi-image demo for several).
     */
    public String promptText() {
        if (images.isEmpty() || text.contains(Message.IMAGE_MARKER)) {
            return text;
        }
        return (Message.IMAGE_MARKER + "\n").repeat(images.size()) + text;
    }
}
