package io.llava4j.template;

/**
 * Who speaks in a {@link Message}. The reference's {@code Conversation.roles[0]} is the user and
 * {@code roles[1]} the assistant; the system prompt is not a role but a conversation-level setting
 * ({@link Conversation#systemPrompt()}, {@link ChatTemplate#render(String, java.util.List)}).
 */
public enum Role {
    /** The person asking; the reference's {@code roles[0]} ("USER", "Human", "user", ...). */
    USER,
    /** The model answering; the reference's {@code roles[1]} ("ASSISTANT", "Assistant", ...). */
    ASSISTANT
}
