package io.llava4j.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.chat.Role;
import io.llava4j.image.RgbImage;
import io.llava4j.model.ContextOptions;
import io.llava4j.model.ModelOptions;
import io.llava4j.sampling.SamplerConfig;
import io.llava4j.testmodels.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chats over a generated LLaVA-1.5 pair: prefix reuse across turns, cancellation, misuse. */
class ChatTest {
    @TempDir
    static Path dir;
    static TinyModels.Pair pair;

    @BeforeAll
    static void writeModels() {
        pair = TinyModels.llava15(dir, 41);
    }

    static RgbImage image() {
        byte[] rgb = new byte[200 * 150 * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 7 % 251);
        }
        return new RgbImage(200, 150, rgb);
    }

    static GenerationSettings greedy(int n) {
        return GenerationSettings.defaults().withSampler(SamplerConfig.greedy()).withMaxTokens(n);
    }

    static ContextOptions context() {
        return ContextOptions.defaults().withContextLength(2048).withThreads(2);
    }

    @Test
    void followUpReusesTheCachedPrefix() {
        try (LlavaModel m = LlavaModel.open(pair.lm(), pair.mmproj(), ModelOptions.defaults(), false, null);
                Chat chat = m.newChat(context())) {
            chat.addUser("What is in the image?", List.of(image()));
            GenerationResult first = chat.generate(greedy(8), GenerationListener.none());
            assertEquals(0, first.reusedPositions());
            assertEquals(first.promptPositions(), first.evaluatedPositions());
            assertEquals(576, first.imagePositions());

            chat.addUser("And what color is it?", List.of());
            GenerationResult second = chat.generate(greedy(8), GenerationListener.none());
            assertTrue(second.reusedPositions() >= first.promptPositions(),
                    "the first prompt stays in the cache: reused " + second.reusedPositions() + " of "
                            + first.promptPositions());
            assertEquals(second.promptPositions() - second.reusedPositions(), second.evaluatedPositions());
            assertEquals(4, chat.messages().size());
            assertEquals(Role.ASSISTANT, chat.messages().get(3).role());
            assertEquals(second.text(), chat.messages().get(3).text());
        }
    }

    @Test
    void cancelDuringGenerationKeepsTheChatUsable() {
        try (LlavaModel m = LlavaModel.open(pair.lm(), pair.mmproj(), ModelOptions.defaults(), false, null);
                Chat chat = m.newChat(context())) {
            chat.addUser("Describe it.", List.of(image()));
            StringBuilder seen = new StringBuilder();
            GenerationResult r = chat.generate(greedy(200), piece -> {
                seen.append(piece);
                chat.cancel();
            });
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertTrue(r.generatedTokens() < 200, "stopped early: " + r.generatedTokens());
            assertEquals(seen.toString(), r.text());
            chat.addUser("Again?", List.of());
            GenerationResult next = chat.generate(greedy(4), GenerationListener.none());
            assertTrue(next.finishReason() != FinishReason.CANCELLED);
            assertTrue(next.reusedPositions() > 576, "prefix with the image kept: " + next.reusedPositions());
        }
    }

    @Test
    void misuseIsAnIllegalState() {
        try (LlavaModel m = LlavaModel.open(pair.lm(), pair.mmproj(), ModelOptions.defaults(), false, null);
                Chat chat = m.newChat(context())) {
            assertEquals(Llava4jException.Code.ILLEGAL_STATE,
                    assertThrows(Llava4jException.class, () -> chat.generate(greedy(2), GenerationListener.none())).code());
            chat.addUser("Hi", List.of());
            assertEquals(Llava4jException.Code.ILLEGAL_STATE,
                    assertThrows(Llava4jException.class, () -> chat.addUser("again", List.of())).code());
        }
    }
}
