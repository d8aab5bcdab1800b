package io.llava4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.conversation.GenerationListener;
import io.llava4j.conversation.GenerationResult;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.model.Vocabulary;
import io.llava4j.sampling.SamplerConfig;
import io.llava4j.serve.CompletionEngine.Completion;
import io.llava4j.template.ChatTemplate;
import io.llava4j.template.Message;
import io.llava4j.testmodels.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which chat of a pool answers a request, and how much of its KV cache it keeps, on a generated
 * tiny LLaVA-1.5 pair: the chat is chosen by the positions it holds that the request's prompt
 * begins with, not by whole turns. Expected counts come from tokenizing the renderings here and
 * comparing token arrays, independently of the code under test.
 */
class ChatPoolTest {
    @TempDir
    static Path dir;

    static LlavaModel model;
    static ChatTemplate template;
    static Vocabulary vocab;

    @BeforeAll
    static void open() {
        TinyModels.Pair pair = TinyModels.llava15(dir, 41);
        model = LlavaModel.open(pair.lm(), pair.mmproj());
        template = model.template().template();
        vocab = model.languageModel().vocabulary();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** A pool of two chats of 1024 positions, F32 KV as {@link ServerFixture} explains. */
    static ChatPool pool() {
        return new ChatPool(model, ServerFixture.MODEL, 2, ServerFixture.context(), 0);
    }

    static GenerationResult ask(ChatPool pool, String system, List<Message> history) {
        GenerationSettings greedy = GenerationSettings.defaults()
                .withSampler(SamplerConfig.greedy())
                .withMaxTokens(6);
        return pool.complete(new Completion(system, history, greedy), GenerationListener.none(), new Cancellation());
    }

    /** The tokens of a whole prompt, as a chat evaluates a text-only rendering from its start. */
    static int[] tokens(String system, List<Message> history) {
        return vocab.tokenize(template.render(system, history), true, true);
    }

    static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        for (int i = 0; i < n; i++) {
            if (a[i] != b[i]) {
                return i;
            }
        }
        return n;
    }

    /** A question long enough that a conversation is mostly its own, not the template's start. */
    static Message longQuestion(String topic, String end) {
        return Message.user("I am writing a report on " + topic + " for a school project and I would like to"
                + " know how they formed, how old they are, which animals and plants live there, how people"
                + " have used them over the centuries, what the weather is like through the year, which"
                + " places are worth a visit, and what has changed there in the last fifty years. Please"
                + " answer " + end);
    }

    @Test
    void aQuestionEditedAtItsEndGoesToTheChatHoldingItsFirstVersion() {
        List<Message> a = List.of(longQuestion("the mountains in the north", "briefly."));
        List<Message> b = List.of(longQuestion("the rivers and lakes of the south", "in a few words."));
        List<Message> edited = List.of(longQuestion("the rivers and lakes of the south", "with a list."));
        try (ChatPool pool = pool()) {
            ask(pool, null, a); // the first chat
            ask(pool, null, b); // the other: sharing the template's start is not worth discarding a
            GenerationResult r = ask(pool, null, edited);

            // same turn count, a different last turn: by whole turns every chat shares nothing and the
            // least recently used (a's) would answer; by positions b's chat keeps all but the end
            int fromB = commonPrefix(tokens(null, b), tokens(null, edited));
            int fromA = commonPrefix(tokens(null, a), tokens(null, edited));
            assertEquals(fromB, r.reusedPositions(), "kept b's prompt up to the edit");
            assertTrue(fromB > fromA, fromB + " vs " + fromA);
            assertTrue(
                    fromB * 4 > r.promptPositions() * 3, "most of the prompt: " + fromB + " of " + r.promptPositions());
            assertEquals(r.promptPositions() - fromB, r.evaluatedPositions());
        }
    }

    @Test
    void anEditedLastQuestionKeepsTheEarlierAnswerAsSampledAndTheQuestionUpToTheEdit() {
        Message first = Message.user("Name three colours.");
        try (ChatPool pool = pool()) {
            ask(pool, null, List.of(Message.user("Something else entirely, about boats.")));
            String answer = ask(pool, null, List.of(first)).text();
            assertFalse(answer.isEmpty(), "the tiny model answered nothing; pick another question");
            List<Message> asked = List.of(first, Message.assistant(answer), Message.user("Which one is the warmest?"));
            List<Message> edited = List.of(first, Message.assistant(answer), Message.user("Which one is the coldest?"));
            GenerationResult followUp = ask(pool, null, asked);
            GenerationResult r = ask(pool, null, edited);

            // both prompts continue the first answer's prompt and its sampled tokens (held whole, as
            // the follow-up's prompt minus its new tokens), then the tokens of the text after the answer
            String firstPrompt = template.render(null, List.of(first));
            int answerEnd = template.render(null, asked).indexOf(answer, firstPrompt.length()) + answer.length();
            int[] askedTail = vocab.tokenize(template.render(null, asked).substring(answerEnd), false, true);
            int[] editedTail = vocab.tokenize(template.render(null, edited).substring(answerEnd), false, true);
            int transcript = followUp.promptPositions() - askedTail.length;
            assertEquals(transcript + commonPrefix(askedTail, editedTail), r.reusedPositions());
            assertTrue(r.reusedPositions() > followUp.reusedPositions(), "part of the edited question too");
        }
    }

    @Test
    void aSystemPromptChangedAtItsEndKeepsOnlyWhatPrecedesTheChange() {
        String shared = "You are a careful assistant for a public library. You answer questions about books,"
                + " opening hours, memberships and events, politely and in plain words, and you say so when"
                + " you do not know.";
        String monday = shared + " Today is Monday.";
        String tuesday = shared + " Today is Tuesday.";
        List<Message> question = List.of(Message.user("When do you open?"));
        try (ChatPool pool = pool()) {
            ask(pool, monday, question);
            ask(pool, "Be terse.", List.of(Message.user("Something else entirely, about boats.")));
            GenerationResult r = ask(pool, tuesday, question);

            // the same turns follow, but after the change: they are evaluated again
            int expected = commonPrefix(tokens(monday, question), tokens(tuesday, question));
            assertEquals(expected, r.reusedPositions());
            assertTrue(expected * 2 > r.promptPositions(), "the system prompt's start: " + expected);
            assertTrue(r.promptPositions() - expected > vocab.tokenize("When do you open?", false, true).length);
        }
    }

    @Test
    void aDifferentSystemPromptKeepsOnlyTheTemplatesSharedStart() {
        List<Message> question = List.of(Message.user("When do you open?"));
        try (ChatPool pool = pool()) {
            ask(pool, "You help library visitors.", question);
            ask(pool, null, List.of(Message.user("Something else entirely, about boats.")));
            // nothing worth keeping anywhere: the least recently used chat, the first, answers
            GenerationResult r = ask(pool, "Be terse.", question);
            assertEquals(
                    commonPrefix(tokens("You help library visitors.", question), tokens("Be terse.", question)),
                    r.reusedPositions());
        }
    }

    @Test
    void aNewConversationLeavesAnotherClientsConversationInItsChat() {
        List<Message> a = List.of(longQuestion("the mountains in the north", "briefly."));
        try (ChatPool pool = pool()) {
            String answer = ask(pool, null, a).text();
            assertFalse(answer.isEmpty(), "the tiny model answered nothing; pick another question");
            // shares the template's start (BOS, the default system prompt) with a's chat, and the
            // other chat is empty: it takes the empty one
            ask(pool, null, List.of(Message.user("Something else entirely, about boats.")));
            GenerationResult followUp =
                    ask(pool, null, List.of(a.get(0), Message.assistant(answer), Message.user("And in the south?")));
            assertTrue(
                    followUp.reusedPositions() > tokens(null, a).length,
                    "a's first exchange stayed cached: " + followUp.reusedPositions());
        }
    }

    @Test
    void aChatIsWorthWhatItKeepsUnlessItDiscardsMore() {
        assertEquals(0, ChatPool.worth(0, 0));
        assertEquals(10, ChatPool.worth(10, 20));
        assertEquals(0, ChatPool.worth(9, 20));
        assertEquals(30, ChatPool.worth(30, 31));
    }
}
