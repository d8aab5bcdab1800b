package io.llava4j.template;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An immutable conversation: a template, the conversation-level system prompt and the messages so
 * far. Each {@code with...} method returns a new conversation; instances are thread-safe.
 *
 * <p>Typical chat loop: {@code conv = Conversation.of(template).withUser("<image>\n" + q)}, render
 * {@link #prompt()}, generate, then {@code conv = conv.withAssistant(answer).withUser(next)}. Pass
 * the answer without its stop string: LLaVA's {@code cli.py} stores the decoded output with a
 * trailing {@code </s>}, which yields {@code "</s></s>USER:"} in its next prompt; we do not copy that.
 */
public final class Conversation {
    private final ChatTemplate template;
    private final String systemPrompt;
    private final List<Message> messages;

    private Conversation(ChatTemplate template, String systemPrompt, List<Message> messages) {
        this.template = template;
        this.systemPrompt = systemPrompt;
        this.messages = messages;
    }

    /** An empty conversation with the template's default system prompt. */
    public static Conversation of(ChatTemplate template) {
        return new Conversation(Objects.requireNonNull(template, "template"), null, List.of());
    }

    /**
     * The same messages under another system prompt.
     *
     * @param systemPrompt null for the template's default, {@code ""} for none (see
     *     {@link ChatTemplate#render(String, List)} for what each style makes of it)
     */
    public Conversation withSystemPrompt(String systemPrompt) {
        return new Conversation(template, systemPrompt, messages);
    }

    /** Appends a user message without attached images (rendered verbatim). */
    public Conversation withUser(String text) {
        return with(Message.user(text));
    }

    /** Appends a user message carrying {@code imageCount} images (the template places the markers). */
    public Conversation withUser(String text, int imageCount) {
        return with(Message.user(text, imageCount));
    }

    /** Appends the assistant's answer (without its stop string). */
    public Conversation withAssistant(String text) {
        return with(Message.assistant(text));
    }

    /**
     * Appends a message.
     *
     * @throws Llava4jException {@link Code#INVALID_ARGUMENT} if it breaks the user/assistant
     *     alternation (the first message must be a user message)
     */
    public Conversation with(Message message) {
        Objects.requireNonNull(message, "message");
        List<Message> next = new ArrayList<>(messages.size() + 1);
        next.addAll(messages);
        next.add(message);
        ChatTemplate.checkAlternation(next);
        return new Conversation(template, systemPrompt, List.copyOf(next));
    }

    /**
     * The prompt for generating the next assistant message: {@link ChatTemplate#render(String,
     * List)} of this conversation.
     *
     * @throws Llava4jException {@link Code#INVALID_ARGUMENT} if the last message is not a user
     *     message, or the template rejects the conversation (see {@code render})
     */
    public String prompt() {
        return template.render(systemPrompt, messages);
    }

    /** The template. */
    public ChatTemplate template() {
        return template;
    }

    /** The system prompt override; null means the template's default. */
    public String systemPrompt() {
        return systemPrompt;
    }

    /** The system prompt that {@link #prompt()} uses. */
    public String effectiveSystemPrompt() {
        return systemPrompt == null ? template.defaultSystemPrompt() : systemPrompt;
    }

    /** The messages so far (unmodifiable, few-shot messages not included). */
    public List<Message> messages() {
        return messages;
    }

    /**
     * Images attached to messages ({@link Message#imageCount()} summed). The number of images to
     * feed is the number of markers in the rendered prompt ({@link PromptLayout#imageCount()}),
     * which differs when plain-string messages carry markers of their own or the HL rewrite keeps a
     * single marker for a multi-image first message.
     */
    public int imageCount() {
        return messages.stream().mapToInt(Message::imageCount).sum();
    }

    @Override
    public String toString() {
        return "Conversation[" + template.name() + ", " + messages.size() + " messages]";
    }
}
