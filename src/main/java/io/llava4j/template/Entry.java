package io.llava4j.template;

/**
 * One entry of the reference's {@code Conversation.messages} as the renderers see it: the
 * template's role string and the text (image markers in place).
 *
 * @param role the template's role string ({@code roles[0]} or {@code roles[1]})
 * @param text the text; null is the reference's {@code None} (open slot for generation)
 */
record Entry(String role, String text) {
    static Entry openSlot(String role) {
        return new Entry(role, null);
    }

    /**
     * Python truthiness of the message, as tested by {@code if message:} in {@code get_prompt}:
     * None and {@code ""} are false.
     */
    boolean present() {
        return text != null && !text.isEmpty();
    }
}
