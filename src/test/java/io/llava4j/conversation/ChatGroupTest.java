package io.llava4j.conversation;

import static io.llava4j.conversation.ChatTest.context;
import static io.llava4j.conversation.ChatTest.greedy;
import static io.llava4j.conversation.ChatTest.image;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.image.ChatImage;
import io.llava4j.testmodels.TinyModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chats of a group share one context and decode together; each answers exactly as a chat of its
 * own does (F32 KV cache: batching changes only f32 summation order, see {@link ChatTest#context()}).
 */
class ChatGroupTest {
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

    record Question(String text, List<ChatImage> images) {}

    static final List<Question> QUESTIONS = List.of(
            new Question("What is in the image?", List.of(image(0))),
            new Question("Tell me a story about a fox.", List.of()),
            new Question("Compare these.", List.of(image(1))));

    static String alone(Question q, int tokens) {
        try (Chat chat = model.newChat(context())) {
            chat.addUser(q.text(), q.images());
            return chat.generate(greedy(tokens), GenerationListener.none()).text();
        }
    }

    @Test
    void chatsGeneratingAtOnceAnswerAsEachAlone() throws Exception {
        int tokens = 12;
        List<String> expected = new ArrayList<>();
        for (Question q : QUESTIONS) {
            expected.add(alone(q, tokens));
        }
        ExecutorService pool = Executors.newFixedThreadPool(QUESTIONS.size());
        try (ChatGroup group = model.newChatGroup(context(), QUESTIONS.size())) {
            CyclicBarrier start = new CyclicBarrier(QUESTIONS.size());
            List<Future<GenerationResult>> results = new ArrayList<>();
            for (int i = 0; i < QUESTIONS.size(); i++) {
                Chat chat = group.chats().get(i);
                Question q = QUESTIONS.get(i);
                results.add(pool.submit(() -> {
                    chat.addUser(q.text(), q.images());
                    start.await();
                    return chat.generate(greedy(tokens), GenerationListener.none());
                }));
            }
            for (int i = 0; i < QUESTIONS.size(); i++) {
                assertEquals(
                        expected.get(i),
                        results.get(i).get(60, TimeUnit.SECONDS).text(),
                        "chat " + i);
            }
            long[] sp = group.batched().stepsAndPieces();
            assertTrue(sp[1] > sp[0], "some steps decoded several chats together: " + sp[0] + " steps, " + sp[1]);

            // a follow-up in one chat reuses its cache while the others stay as they were
            Chat first = group.chats().get(0);
            int before = group.chats().get(1).positions();
            first.addUser("And what color is it?");
            GenerationResult next = first.generate(greedy(4), GenerationListener.none());
            assertTrue(next.reusedPositions() > 576, "kept the image: " + next.reusedPositions());
            assertEquals(before, group.chats().get(1).positions());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void cancellingOneChatLeavesTheOthersGoing() throws Exception {
        String expected = alone(QUESTIONS.get(1), 24);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (ChatGroup group = model.newChatGroup(context(), 2)) {
            Chat victim = group.chats().get(0);
            Chat other = group.chats().get(1);
            CountDownLatch started = new CountDownLatch(1);
            victim.addUser("Talk for a long time.");
            Future<GenerationResult> cancelled = pool.submit(() -> victim.generate(greedy(10_000), piece -> {
                started.countDown();
            }));
            assertTrue(started.await(60, TimeUnit.SECONDS));
            other.addUser(QUESTIONS.get(1).text());
            Future<GenerationResult> going = pool.submit(() -> other.generate(greedy(24), GenerationListener.none()));
            victim.cancel();
            assertEquals(
                    FinishReason.CANCELLED, cancelled.get(60, TimeUnit.SECONDS).finishReason());
            assertEquals(expected, going.get(60, TimeUnit.SECONDS).text());
            // the cancelled chat answers again
            victim.addUser("Again?");
            assertEquals(
                    FinishReason.LENGTH,
                    victim.generate(greedy(3), GenerationListener.none()).finishReason());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aPromptIsEvaluatedInSmallChunksWhileOthersGenerate() {
        try (ChatGroup group = model.newChatGroup(context(), 3)) {
            BatchedContext shared = group.batched();
            int alone = shared.chunk();
            assertEquals(512 - 3 + 1, alone, "a whole batch, less one token for each other sequence");
            shared.begin();
            shared.begin();
            assertEquals(alone / 8, shared.chunk(), "an eighth while another sequence decodes");
            shared.end();
            shared.end();
            assertEquals(alone, shared.chunk());
        }
    }

    /**
     * Three chats generating and a fourth thread cancelling them at random: every call returns or
     * throws CANCELLED, and afterwards each chat's cache holds exactly what its turns say (a
     * follow-up answers as a fresh chat evaluating those turns from nothing).
     */
    @Test
    void randomCancelsNeverLeaveACacheOutOfStep() throws Exception {
        int chats = 3;
        ExecutorService pool = Executors.newFixedThreadPool(chats + 1);
        java.util.Random random = new java.util.Random(5);
        try (ChatGroup group = model.newChatGroup(context(), chats)) {
            java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
            List<Future<?>> workers = new ArrayList<>();
            for (int c = 0; c < chats; c++) {
                Chat chat = group.chats().get(c);
                int id = c;
                workers.add(pool.submit(() -> {
                    for (int round = 0; round < 4; round++) {
                        chat.addUser("Round " + round + " of chat " + id + ": say something.");
                        GenerationResult r = chat.generate(greedy(6 + 3 * round), GenerationListener.none());
                        if (chat.turns().get(chat.turns().size() - 1).role() == io.llava4j.template.Role.USER) {
                            chat.removeLastTurn(); // cancelled before the answer began
                        }
                        assertTrue(r.finishReason() != null);
                    }
                    return null;
                }));
            }
            Future<?> canceller = pool.submit(() -> {
                while (running.get()) {
                    group.chats().get(random.nextInt(chats)).cancel();
                    Thread.sleep(random.nextInt(40));
                }
                return null;
            });
            for (Future<?> w : workers) {
                w.get(120, TimeUnit.SECONDS);
            }
            running.set(false);
            canceller.get(10, TimeUnit.SECONDS);

            for (Chat chat : group.chats()) {
                ChatFile.Snapshot turns = chat.snapshot();
                chat.addUser("And now?");
                String continued =
                        chat.generate(greedy(6), GenerationListener.none()).text();
                try (Chat fresh = model.newChat(context())) {
                    fresh.restore(turns, null);
                    fresh.addUser("And now?");
                    assertEquals(
                            fresh.generate(greedy(6), GenerationListener.none()).text(), continued);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closingTheGroupClosesItsChats() {
        ChatGroup group = model.newChatGroup(context(), 2);
        Chat chat = group.chats().get(1);
        chat.addUser("Hi");
        chat.generate(greedy(2), GenerationListener.none());
        group.close();
        group.close();
        assertEquals(
                Llava4jException.Code.CLOSED,
                assertThrows(Llava4jException.class, () -> chat.addUser("after close"))
                        .code());
        assertEquals(
                Llava4jException.Code.CLOSED,
                assertThrows(Llava4jException.class, group::chats).code());
        assertEquals(
                Llava4jException.Code.INVALID_ARGUMENT,
                assertThrows(Llava4jException.class, () -> model.newChatGroup(context(), 0))
                        .code());
    }
}
