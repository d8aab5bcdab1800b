package io.llava4j.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Conversation} and {@link Message} contracts, and the order checks of {@code render}. */
class ConversationTest {
    private static final ChatTemplate LLAVA_V1 = ChatTemplate.forName("llava_v1");

    @Test
    void multiTurnConversationRendersLikeTheTemplate() {
        Conversation c = Conversation.of(LLAVA_V1).withUser(Golden.Q1);
        assertEquals(Golden.one("llava_v1", null), c.prompt());
        Conversation c2 = c.withAssistant(Golden.A1).withUser(Golden.Q2);
        assertEquals(Golden.two("llava_v1", null), c2.prompt());
        // immutable: the first conversation is unchanged
        assertEquals(1, c.messages().size());
        assertEquals(3, c2.messages().size());
    }

    @Test
    void systemPromptIsAConversationSetting() {
        Conversation c = Conversation.of(LLAVA_V1).withUser(Golden.Q1).withSystemPrompt(Golden.CUSTOM);
        assertEquals(Golden.one("llava_v1", Golden.CUSTOM), c.prompt());
        assertEquals(Golden.CUSTOM, c.effectiveSystemPrompt());
        assertEquals(Golden.S_HUMAN, c.withSystemPrompt(null).effectiveSystemPrompt());
        assertNull(c.withSystemPrompt(null).systemPrompt());
    }

    @Test
    void imageCountSumsAttachedImages() {
        Conversation c = Conversation.of(ChatTemplate.forName("qwen_1_5")).withUser("<image>\n<image>\nQ", 2)
                .withAssistant("A").withUser("Q2", 1);
        assertEquals(3, c.imageCount());
        assertEquals(3, PromptLayout.of(c.prompt()).imageCount());
    }

    @Test
    void alternationIsEnforcedWhenAppending() {
        Conversation empty = Conversation.of(LLAVA_V1);
        Llava4jException e = assertThrows(Llava4jException.class, () -> empty.withAssistant("hi"));
        assertEquals(Llava4jException.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("message 0 is ASSISTANT, expected USER"), e.getMessage());
        assertThrows(Llava4jException.class, () -> empty.withUser("a").withUser("b"));
    }

    @Test
    void promptNeedsALastUserMessage() {
        Llava4jException e = assertThrows(Llava4jException.class, () -> Conversation.of(LLAVA_V1).prompt());
        assertTrue(e.getMessage().contains("the last message must be a user message"), e.getMessage());
        assertThrows(Llava4jException.class,
                () -> Conversation.of(LLAVA_V1).withUser("q").withAssistant("a").prompt());
    }

    @Test
    void renderRejectsBadOrder() {
        assertThrows(Llava4jException.class,
                () -> LLAVA_V1.render(null, List.of(Message.assistant("a"), Message.user("q"))));
        assertThrows(Llava4jException.class, () -> LLAVA_V1.render(null, List.of()));
        assertThrows(NullPointerException.class, () -> LLAVA_V1.render(null, null));
    }

    @Test
    void messageValidation() {
        assertThrows(Llava4jException.class, () -> Message.user("q", -1));
        Llava4jException e = assertThrows(Llava4jException.class, () -> new Message(Role.ASSISTANT, "a", 1));
        assertTrue(e.getMessage().contains("only user messages carry images"), e.getMessage());
        assertThrows(NullPointerException.class, () -> Message.user(null));
        assertThrows(NullPointerException.class, () -> new Message(null, "x", 0));
        assertTrue(Message.user("q", 2).hasImages());
        assertEquals("<image>", Message.IMAGE_MARKER);
    }
}
