package io.llava4j.template;

/**
 * One entry of the reference's {@code Conversation.messages} as the renderers see it: the
 * template's role string, the text, and the image count of a tuple message.
 *
 * @param role the template's role string ({@code roles[0]} or {@code roles[1]})
 * @param text the text; null is the reference's {@code None} (open slot for generation)
 * @param images images of a tuple message that survived the first-message rewrite; 0 for a plain
 *     string
 */
record Turn(String role, String text, int images) {
    static Turn openSlot(String role) {
        return new Turn(role, null, 0);
    }

    /**
     * Python truthiness of the message, as tested by {@code if message:} in {@code get_prompt}:
     * None and {@code ""} are false, a tuple is always true.
     */
    boolean present() {
        return text != null && (images > 0 || !text.isEmpty());
    }

    /**
     * The text with {@code "<image>" * images} in front: NX's treatment of tuple messages in the
     * CHATML and LLAMA_3 branches of {@code get_prompt}. Other styles use {@link #text()} as is.
     */
    String textWithImagePrefix() {
        return Message.IMAGE_MARKER.repeat(images) + text;
    }
}
