package io.llava4j.conversation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.gguf.GgmlType;
import io.llava4j.image.ChatImage;
import io.llava4j.image.RgbImage;
import io.llava4j.model.ContextOptions;
import io.llava4j.sampling.SamplerConfig;
import io.llava4j.template.Role;
import io.llava4j.testmodels.TinyModels;
import io.llava4j.vision.ImageEmbedder.ImageEmbedding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Conversations on a generated tiny LLaVA-1.5 pair: KV reuse, cancellation, editing, misuse. */
class ChatTest {
    @TempDir
    static Path dir;

    static LlavaModel model;

    @BeforeAll
    static void open() {
        TinyModels.Pair pair = TinyModels.llava15(dir, 41);
        model = LlavaModel.open(pair.lm(), pair.mmproj());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static ChatImage image(int salt) {
        byte[] rgb = new byte[200 * 150 * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * (7 + salt) % 251);
        }
        return ChatImage.of(new RgbImage(200, 150, rgb), null);
    }

    static GenerationSettings greedy(int n) {
        return GenerationSettings.defaults().withSampler(SamplerConfig.greedy()).withMaxTokens(n);
    }

    /**
     * 2048 positions, 2 threads, and an F32 KV cache: several tests compare answers reached by
     * different evaluation orders (a follow-up on a kept cache against one pass; a resumed chat).
     * With llama.cpp's default F16 cache the order moves logits by up to 9e-4 (the keys and values
     * of a batch are rounded to fp16 at other points), close to this model's smallest top-2 gap over
     * a greedy answer (1.2e-3), so another CPU's kernels could flip a token; with F32 the order
     * changes only f32 rounding (about 1e-6), three orders of magnitude below that gap.
     */
    static ContextOptions context() {
        return ContextOptions.defaults().withContextLength(2048).withThreads(2).withKvType(GgmlType.F32);
    }

    @Test
    void followUpEvaluatesOnlyItsTokensAndMatchesAFreshRun() {
        GenerationResult second;
        ChatFile.Snapshot history;
        try (Chat chat = model.newChat(context())) {
            chat.addUser("What is in the image?", List.of(image(0)));
            GenerationResult first = chat.generate(greedy(8), GenerationListener.none());
            assertEquals(0, first.reusedPositions());
            assertEquals(first.promptPositions(), first.evaluatedPositions());
            assertEquals(576, first.imagePositions());

            chat.addUser("And what color is it?");
            history = chat.snapshot();
            second = chat.generate(greedy(8), GenerationListener.none());
            // everything already evaluated stays: the first prompt and the answer's tokens but the
            // last one sampled (fed back now), so only the new turn's positions are evaluated; the
            // answer is continued as sampled, never re-tokenized from its text
            int keptFromFirst = first.promptPositions() + first.generatedTokens() - 1;
            assertEquals(keptFromFirst, second.reusedPositions());
            assertEquals(second.promptPositions() - second.reusedPositions(), second.evaluatedPositions());
            assertTrue(second.evaluatedPositions() < 40, "only the new turn: " + second.evaluatedPositions());
            assertEquals(4, chat.turns().size());
            assertEquals(Role.ASSISTANT, chat.turns().get(3).role());
            assertEquals(second.text(), chat.turns().get(3).text());
        }
        try (Chat fresh = model.newChat(context())) {
            fresh.restore(history, null);
            GenerationResult once = fresh.generate(greedy(8), GenerationListener.none());
            assertEquals(0, once.reusedPositions());
            assertEquals(second.promptPositions(), once.promptPositions());
            assertEquals(second.text(), once.text(), "incremental and one-pass evaluation answer alike");
        }
    }

    private static List<String> describe(List<io.llava4j.template.Message> turns) {
        return turns.stream()
                .map(m -> m.role() + " " + m.text() + " "
                        + m.images().stream().map(ChatImage::sha256).toList())
                .toList();
    }

    @Test
    void anAnswerGivenAsTextJoinsTheHistoryLikeAGeneratedOne() {
        List<io.llava4j.template.Message> generatedHistory;
        String firstAnswer;
        try (Chat chat = model.newChat(context())) {
            assertThrows(Llava4jException.class, () -> chat.addAssistant("no question yet"));
            chat.addUser("What is in the image?", List.of(image(0)));
            firstAnswer = chat.generate(greedy(6), GenerationListener.none()).text();
            chat.addUser("And what color is it?");
            generatedHistory = chat.turns();
        }
        try (Chat chat = model.newChat(context())) {
            chat.addUser("What is in the image?", List.of(image(0)));
            chat.addAssistant(firstAnswer);
            assertThrows(Llava4jException.class, () -> chat.addAssistant("twice"));
            chat.addUser("And what color is it?");
            // images are compared by content (ChatImage has identity equality)
            assertEquals(describe(generatedHistory), describe(chat.turns()));
            GenerationResult r = chat.generate(greedy(4), GenerationListener.none());
            assertEquals(0, r.reusedPositions());
            assertEquals(576, r.imagePositions());
            assertEquals(Role.ASSISTANT, chat.turns().get(3).role());
        }
    }

    @Test
    void aFullContextDropsTheOldestTurnsWholeOrFailsAsThePolicySays() {
        // 576 positions per image: two images do not fit 1024 positions, one does
        ContextOptions small = context().withContextLength(1024);
        try (Chat chat = model.newChat(small)) {
            chat.addUser("What is in the image?", List.of(image(0)));
            chat.generate(greedy(6), GenerationListener.none());
            chat.addUser("And this one?", List.of(image(1)));
            assertEquals(
                    Llava4jException.Code.CONTEXT_FULL,
                    assertThrows(Llava4jException.class, () -> chat.generate(greedy(6), GenerationListener.none()))
                            .code());
            assertEquals(3, chat.turns().size(), "FAIL keeps every turn");

            chat.setContextPolicy(ContextPolicy.DROP_OLDEST_TURNS);
            GenerationResult r = chat.generate(greedy(6), GenerationListener.none());
            assertEquals(2, r.droppedTurns());
            assertEquals(576, r.imagePositions(), "the first image went with its turn, whole");
            assertEquals(2, chat.turns().size());
            assertEquals("And this one?", chat.turns().get(0).text());
            assertTrue(r.promptPositions() + 6 <= chat.capacity());

            // a question that cannot fit even alone still fails, after dropping what it could
            chat.addUser("Three more.", List.of(image(2), image(3)));
            assertEquals(
                    Llava4jException.Code.CONTEXT_FULL,
                    assertThrows(Llava4jException.class, () -> chat.generate(greedy(6), GenerationListener.none()))
                            .code());
            assertEquals(1, chat.turns().size());
            assertEquals("Three more.", chat.turns().get(0).text());
        }
    }

    @Test
    void cancelDuringGenerationKeepsThePartialAnswerAndTheChatUsable() {
        try (Chat chat = model.newChat(context())) {
            chat.addUser("Describe it.", List.of(image(0)));
            StringBuilder seen = new StringBuilder();
            GenerationResult r = chat.generate(greedy(200), piece -> {
                seen.append(piece);
                chat.cancel();
            });
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertTrue(r.generatedTokens() < 200, "stopped early: " + r.generatedTokens());
            assertEquals(seen.toString(), r.text());
            assertEquals(r.text(), chat.turns().get(1).text());
            chat.addUser("Again?");
            GenerationResult next = chat.generate(greedy(4), GenerationListener.none());
            assertNotEquals(FinishReason.CANCELLED, next.finishReason());
            assertTrue(next.reusedPositions() > 576, "prefix with the image kept: " + next.reusedPositions());
        }
    }

    @Test
    void cancelDuringPrefillStopsWithinABatchAndTheQuestionCanBeAnsweredAfter() {
        ContextOptions small = context().withBatchSize(64);
        try (Chat chat = model.newChat(small)) {
            chat.addUser("Describe it.", List.of(image(0)));
            List<Integer> progress = new ArrayList<>();
            GenerationResult r = chat.generate(greedy(8), new GenerationListener() {
                @Override
                public void onText(String piece) {}

                @Override
                public void onPrefill(int done, int total) {
                    progress.add(done);
                    if (progress.size() == 2) {
                        chat.cancel();
                    }
                }
            });
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertEquals("", r.text());
            assertEquals(0, r.generatedTokens());
            assertTrue(r.evaluatedPositions() < r.promptPositions(), "stopped early: " + r.evaluatedPositions());
            assertTrue(progress.size() <= 3, "at most one batch after the cancel: " + progress);
            assertEquals(1, chat.turns().size(), "the question stays, unanswered");

            GenerationResult resumed = chat.generate(greedy(8), GenerationListener.none());
            assertNotEquals(FinishReason.CANCELLED, resumed.finishReason());
            assertEquals(r.evaluatedPositions(), resumed.reusedPositions(), "goes on where evaluation stopped");
            try (Chat fresh = model.newChat(small)) {
                fresh.addUser("Describe it.", List.of(image(0)));
                assertEquals(
                        fresh.generate(greedy(8), GenerationListener.none()).text(), resumed.text());
            }
        }
    }

    @Test
    void prefillProgressCountsUpToTheEvaluatedPositions() {
        try (Chat chat = model.newChat(context().withBatchSize(128))) {
            chat.addUser("Describe it.", List.of(image(2)));
            List<int[]> seen = new ArrayList<>();
            GenerationResult r = chat.generate(greedy(2), new GenerationListener() {
                @Override
                public void onText(String piece) {}

                @Override
                public void onPrefill(int done, int total) {
                    seen.add(new int[] {done, total});
                }
            });
            int[] lastSeen = seen.get(seen.size() - 1);
            assertEquals(r.evaluatedPositions(), lastSeen[0]);
            assertEquals(r.evaluatedPositions(), lastSeen[1]);
            for (int i = 1; i < seen.size(); i++) {
                assertTrue(seen.get(i)[0] > seen.get(i - 1)[0], "increasing");
            }
        }
    }

    @Test
    void aConversationReplacingTheTurnsKeepsWhatReusablePositionsSays() {
        try (Chat chat = model.newChat(context())) {
            chat.addUser("What is in the image?", List.of(image(0)));
            GenerationResult first = chat.generate(greedy(6), GenerationListener.none());
            chat.addUser("And the colour?");
            chat.generate(greedy(6), GenerationListener.none());
            List<io.llava4j.template.Message> turns = chat.turns();

            // the last question edited at its end: the image (compared by content) and the first
            // answer as sampled stay, and the question up to the edit
            List<io.llava4j.template.Message> edited =
                    List.of(turns.get(0), turns.get(1), io.llava4j.template.Message.user("And the colour, roughly?"));
            RenderedConversation conversation = model.render(null, edited);
            int predicted = chat.reusablePositions(conversation);
            chat.replaceConversation(conversation);
            assertEquals(describe(edited), describe(chat.turns()));
            GenerationResult r = chat.generate(greedy(6), GenerationListener.none());
            assertEquals(predicted, r.reusedPositions());
            assertTrue(predicted > first.promptPositions(), "reused " + predicted);

            // another system prompt comes first: only the template's start matches, whatever follows
            RenderedConversation other = model.render("Answer in French.", edited);
            predicted = chat.reusablePositions(other);
            chat.replaceConversation(other);
            assertEquals("Answer in French.", chat.systemPrompt());
            r = chat.generate(greedy(6), GenerationListener.none());
            assertEquals(predicted, r.reusedPositions());
            assertTrue(predicted < 576, "the image comes after the system prompt: " + predicted);
        }
    }

    @Test
    void aConversationRenderedForAnotherModelIsRefused() {
        TinyModels.Pair pair = TinyModels.llava15(dir.resolve("other"), 42);
        try (LlavaModel other = LlavaModel.open(pair.lm(), pair.mmproj());
                Chat chat = model.newChat(context())) {
            RenderedConversation c = other.render(null, List.of(io.llava4j.template.Message.user("Hi")));
            assertEquals(
                    Llava4jException.Code.INVALID_ARGUMENT,
                    assertThrows(Llava4jException.class, () -> chat.reusablePositions(c))
                            .code());
            assertEquals(
                    Llava4jException.Code.INVALID_ARGUMENT,
                    assertThrows(Llava4jException.class, () -> chat.replaceConversation(c))
                            .code());
        }
    }

    @Test
    void editingAnEarlierTurnReusesThePrefixBeforeIt() {
        try (Chat chat = model.newChat(context())) {
            chat.addUser("What is in the image?", List.of(image(0)));
            GenerationResult first = chat.generate(greedy(6), GenerationListener.none());
            chat.addUser("And the colour?");
            chat.generate(greedy(6), GenerationListener.none());
            chat.edit(2, "And the shape?");
            assertEquals(3, chat.turns().size());
            GenerationResult edited = chat.generate(greedy(6), GenerationListener.none());
            assertTrue(edited.reusedPositions() >= first.promptPositions(), "reused " + edited.reusedPositions());
            assertEquals(edited.promptPositions() - edited.reusedPositions(), edited.evaluatedPositions());
        }
    }

    @Test
    void severalImagesEachGetTheOneCropLayout() {
        try (Chat chat = model.newChat(context())) {
            chat.addUser("Compare <image> with <image>.", List.of(image(0), image(1)));
            GenerationResult r = chat.generate(greedy(2), GenerationListener.none());
            assertEquals(2 * 576, r.imagePositions(), "LLaVA-1.5: no image_newline, 576 per image");
        }
        try (Chat chat = model.newChat(context())) {
            assertEquals(
                    Llava4jException.Code.INVALID_ARGUMENT,
                    assertThrows(
                                    Llava4jException.class,
                                    () -> chat.addUser("Only <image> here", List.of(image(0), image(1))))
                            .code());
        }
    }

    @Test
    void onAnAnyresModelOneImageIsTiledAndSeveralGetOneCropAndANewlineEach() {
        TinyModels.Pair next = TinyModels.llavaNextQwen2(dir.resolve("next"), 17);
        try (LlavaModel m = LlavaModel.open(next.lm(), next.mmproj())) {
            int single;
            try (Chat chat = m.newChat(context().withContextLength(4096))) {
                chat.addUser("Describe it.", List.of(image(0)));
                single = chat.generate(greedy(1), GenerationListener.none()).imagePositions();
            }
            // 200x150 on the tiny pinpoints: base 576 + the unpadded tile grid, 18 rows of 24 + image_newline
            assertEquals(576 + 18 * (24 + 1), single, "anyres: base image plus unpadded tiles with newlines");
            try (Chat chat = m.newChat(context().withContextLength(4096))) {
                chat.addUser("Compare them.", List.of(image(0), image(1)));
                GenerationResult r = chat.generate(greedy(1), GenerationListener.none());
                assertEquals(2 * (576 + 1), r.imagePositions(), "LLaVA-NeXT multi-image: 576 + image_newline each");
            }
            ImageEmbedding one = m.embed(image(0), EmbeddingKey.Layout.MULTI, 1, (d, t) -> {})
                    .embedding();
            float[] newline = m.embed(image(1), EmbeddingKey.Layout.MULTI, 1, (d, t) -> {})
                    .embedding()
                    .data();
            assertArrayEquals(
                    Arrays.copyOfRange(newline, newline.length - 64, newline.length),
                    Arrays.copyOfRange(one.data(), one.data().length - 64, one.data().length),
                    "both end with the same image_newline embedding");
        }
    }

    @Test
    void misuseIsATypedExceptionNeverACrash() {
        Chat chat = model.newChat(context());
        assertEquals(
                Llava4jException.Code.ILLEGAL_STATE,
                assertThrows(Llava4jException.class, () -> chat.generate(greedy(2), GenerationListener.none()))
                        .code());
        chat.addUser("Hi");
        assertEquals(
                Llava4jException.Code.ILLEGAL_STATE,
                assertThrows(Llava4jException.class, () -> chat.addUser("again"))
                        .code());
        // a listener that calls back into the chat while it generates
        Llava4jException inner = assertThrows(
                Llava4jException.class, () -> chat.generate(greedy(4), piece -> chat.addUser("reentrant")));
        assertEquals(Llava4jException.Code.ILLEGAL_STATE, inner.code());
        chat.close();
        chat.close();
        assertEquals(
                Llava4jException.Code.CLOSED,
                assertThrows(Llava4jException.class, () -> chat.addUser("after close"))
                        .code());
    }
}
