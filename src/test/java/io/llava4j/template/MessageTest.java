package io.llava4j.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.image.ChatImage;
import io.llava4j.image.RgbImage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Message} contracts and image placement, and the order checks of {@code render}. */
class MessageTest {
    private static final ChatTemplate LLAVA_V1 = ChatTemplate.forName("llava_v1");
    private static final ChatImage IMAGE = ChatImage.of(new RgbImage(2, 2, new byte[12]), null);

    @Test
    void multiTurnConversationRendersLikeTheTemplate() {
        assertEquals(Golden.one("llava_v1", null), LLAVA_V1.render(null, List.of(Message.user(Golden.Q1))));
        assertEquals(
                Golden.two("llava_v1", null),
                LLAVA_V1.render(
                        null, List.of(Message.user(Golden.Q1), Message.assistant(Golden.A1), Message.user(Golden.Q2))));
        assertEquals(
                Golden.one("llava_v1", Golden.CUSTOM),
                LLAVA_V1.render(Golden.CUSTOM, List.of(Message.user(Golden.Q1))));
    }

    @Test
    void imagesWithoutMarkersGoInFrontOneLinePerImage() {
        assertEquals(
                "<image>\nWhat is it?",
                Message.user("What is it?", List.of(IMAGE)).promptText());
        assertEquals(
                "<image>\n<image>\nCompare",
                Message.user("Compare", List.of(IMAGE, IMAGE)).promptText());
        // markers placed by the caller are kept where they are
        assertEquals(
                "Left <image> right <image>",
                Message.user("Left <image> right <image>", List.of(IMAGE, IMAGE))
                        .promptText());
        assertEquals("no image", Message.user("no image").promptText());
        String prompt = ChatTemplate.forName("qwen_1_5")
                .render(
                        null,
                        List.of(
                                Message.user("Q", List.of(IMAGE, IMAGE)),
                                Message.assistant("A"),
                                Message.user("Q2", List.of(IMAGE))));
        assertEquals(3, PromptLayout.of(prompt).imageCount());
    }

    @Test
    void markersMustMatchTheImages() {
        Llava4jException e =
                assertThrows(Llava4jException.class, () -> Message.user("<image> and <image>", List.of(IMAGE)));
        assertEquals(Llava4jException.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("2 <image> markers for 1 images"), e.getMessage());
    }

    @Test
    void renderRejectsBadOrder() {
        Llava4jException e = assertThrows(
                Llava4jException.class,
                () -> LLAVA_V1.render(null, List.of(Message.assistant("a"), Message.user("q"))));
        assertTrue(e.getMessage().contains("message 0 is ASSISTANT, expected USER"), e.getMessage());
        assertThrows(
                Llava4jException.class, () -> LLAVA_V1.render(null, List.of(Message.user("a"), Message.user("b"))));
        e = assertThrows(Llava4jException.class, () -> LLAVA_V1.render(null, List.of()));
        assertTrue(e.getMessage().contains("the last message must be a user message"), e.getMessage());
        assertThrows(
                Llava4jException.class,
                () -> LLAVA_V1.render(null, List.of(Message.user("q"), Message.assistant("a"))));
        assertThrows(NullPointerException.class, () -> LLAVA_V1.render(null, null));
    }

    @Test
    void messageValidation() {
        Llava4jException e =
                assertThrows(Llava4jException.class, () -> new Message(Role.ASSISTANT, "a", List.of(IMAGE)));
        assertTrue(e.getMessage().contains("only user messages carry images"), e.getMessage());
        assertThrows(NullPointerException.class, () -> Message.user(null));
        assertThrows(NullPointerException.class, () -> new Message(null, "x", List.of()));
        assertEquals("<image>", Message.IMAGE_MARKER);
    }
}
