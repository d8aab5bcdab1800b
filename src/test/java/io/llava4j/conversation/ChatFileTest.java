package io.llava4j.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.image.ChatImage;
import io.llava4j.testmodels.TinyModels;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving and resuming conversations, with and without the KV state. */
class ChatFileTest {
    @TempDir
    static Path dir;

    static LlavaModel model;
    static Path picture;

    @BeforeAll
    static void open() throws IOException {
        TinyModels.Pair pair = TinyModels.llava15(dir.resolve("m"), 47);
        model = LlavaModel.open(pair.lm(), pair.mmproj());
        BufferedImage bi = new BufferedImage(120, 90, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 90; y++) {
            for (int x = 0; x < 120; x++) {
                bi.setRGB(x, y, (x * 2) << 16 | (y * 2) << 8 | ((x + y) & 0xff));
            }
        }
        picture = dir.resolve("picture.png");
        ImageIO.write(bi, "png", picture.toFile());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Two turns, one image from a file and one from memory (stored inline). */
    static Chat twoTurns() {
        Chat chat = model.newChat(ChatTest.context());
        chat.setSystemPrompt("Be brief.");
        chat.setSettings(ChatTest.greedy(6));
        chat.addUser("What is this?", List.of(ChatImage.load(picture.toString())));
        chat.generate(GenerationListener.none());
        chat.addUser("And this <image>?", List.of(ChatTest.image(3)));
        chat.generate(GenerationListener.none());
        return chat;
    }

    @Test
    void roundTripsGiveTheSameContinuationAndTheKvStateSkipsReEvaluation() {
        Path withKv = dir.resolve("with-kv.chat");
        Path withoutKv = dir.resolve("without-kv.chat");
        GenerationResult expected;
        int savedPositions;
        try (Chat chat = twoTurns()) {
            chat.save(withKv, true);
            chat.save(withoutKv, false);
            savedPositions = chat.positions();
            chat.addUser("Anything else?");
            expected = chat.generate(GenerationListener.none());
        }
        try (Chat resumed = model.resume(withKv, ChatTest.context())) {
            assertEquals(4, resumed.turns().size());
            assertEquals("Be brief.", resumed.systemPrompt());
            assertEquals(ChatTest.greedy(6), resumed.settings());
            assertEquals(savedPositions, resumed.positions());
            resumed.addUser("Anything else?");
            GenerationResult r = resumed.generate(GenerationListener.none());
            assertEquals(expected.text(), r.text());
            assertEquals(expected.reusedPositions(), r.reusedPositions(), "nothing evaluated again");
            assertEquals(expected.evaluatedPositions(), r.evaluatedPositions());
        }
        try (Chat resumed = model.resume(withoutKv, ChatTest.context())) {
            assertEquals(0, resumed.positions());
            resumed.addUser("Anything else?");
            GenerationResult r = resumed.generate(GenerationListener.none());
            assertEquals(expected.text(), r.text());
            assertEquals(0, r.reusedPositions());
            assertEquals(r.promptPositions(), r.evaluatedPositions());
        }
    }

    @Test
    void aFileFromAnotherModelIsRefused() {
        Path file = dir.resolve("other.chat");
        try (Chat chat = twoTurns()) {
            chat.save(file, true);
        }
        TinyModels.Pair other = TinyModels.llava15(dir.resolve("other"), 99);
        try (LlavaModel m = LlavaModel.open(other.lm(), other.mmproj())) {
            Llava4jException e = assertThrows(Llava4jException.class, () -> m.resume(file, ChatTest.context()));
            assertEquals(Llava4jException.Code.INCOMPATIBLE, e.code());
            assertTrue(e.getMessage().contains("another model"), e.getMessage());
        }
    }

    @Test
    void aChangedImageOrAForeignFileIsRefused() throws IOException {
        Path copy = dir.resolve("copy.png");
        Files.copy(picture, copy);
        Path file = dir.resolve("changed.chat");
        try (Chat chat = model.newChat(ChatTest.context())) {
            chat.setSettings(ChatTest.greedy(2));
            chat.addUser("What is this?", List.of(ChatImage.load(copy.toString())));
            chat.generate(GenerationListener.none());
            chat.save(file, false);
        }
        ImageIO.write(new BufferedImage(120, 90, BufferedImage.TYPE_INT_RGB), "png", copy.toFile());
        Llava4jException e = assertThrows(Llava4jException.class, () -> model.resume(file, ChatTest.context()));
        assertEquals(Llava4jException.Code.INVALID_FILE, e.code());
        assertTrue(e.getMessage().contains("other pixels"), e.getMessage());

        Path junk = dir.resolve("junk.chat");
        Files.writeString(junk, "{\"hello\": 1}\n");
        assertEquals(
                Llava4jException.Code.INVALID_FILE,
                assertThrows(Llava4jException.class, () -> model.resume(junk, ChatTest.context()))
                        .code());
    }
}
