package io.llava4j.serve;

import static io.llava4j.serve.ServerFixture.greedy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.testmodels.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model served with a system prompt ({@code serve --system}) answers a request that sends no
 * system message as if the request had sent that prompt, while a request's own system message
 * replaces it; and a conversation held under it is found again by its next request. One tiny
 * model served twice on one server: {@code plain} (the template's default system prompt) and
 * {@code custom} (given {@link #CUSTOM}), two chats each, so that every answer of {@code custom}
 * is compared with the one {@code plain} gives to the request spelled out. Greedy answers on F32
 * KV caches, so that equal prompts give equal answers whatever each chat held before.
 */
class DefaultSystemPromptTest {
    /** Far shorter than the LLaVA-1.5 template's default, so that the two differ in prompt tokens. */
    static final String CUSTOM = "Answer like a pirate.";

    @TempDir
    static Path dir;

    static LlavaModel model;
    static ServerFixture server;

    @BeforeAll
    static void open() {
        TinyModels.Pair pair = TinyModels.llava15(dir, 47);
        model = LlavaModel.open(pair.lm(), pair.mmproj());
        server = new ServerFixture(List.of(), List.of("plain", "custom"), ServeConfig.defaults(), 2, 4);
        ModelServer.attach(server.server, model, "plain", 2, ServerFixture.context(), 4);
        ModelServer.attach(server.server, model, "custom", 2, ServerFixture.context(), 4, CUSTOM);
    }

    @AfterAll
    static void close() {
        if (server != null) {
            server.close();
        }
        if (model != null) {
            model.close();
        }
    }

    @Test
    void aRequestWithoutASystemMessageGetsTheServersSystemPrompt() {
        String question = "Where is the treasure buried?";
        JsonNode implicit = server.complete(ask("custom", null, question));
        JsonNode spelledOut = server.complete(ask("plain", CUSTOM, question));
        assertEquals(tokens(spelledOut), tokens(implicit), implicit.toString());
        assertEquals(content(spelledOut), content(implicit));

        JsonNode templates = server.complete(ask("plain", null, question));
        assertNotEquals(tokens(templates), tokens(implicit), "the template's default system prompt is longer");

        // the request's own system message wins over the server's
        String own = "You are a helpful assistant who answers every question in one short sentence.";
        JsonNode overridden = server.complete(ask("custom", own, question));
        JsonNode reference = server.complete(ask("plain", own, question));
        assertEquals(tokens(reference), tokens(overridden), overridden.toString());
        assertEquals(content(reference), content(overridden));
        assertNotEquals(tokens(implicit), tokens(overridden));
    }

    /**
     * Regression guard: a chat is picked by its system prompt, so the default must be in place
     * when the pool picks one. A follow-up without a system message reuses the chat that holds its
     * conversation, exactly as a follow-up that spells the prompt out does on {@code plain}; had
     * it been compared without the default, it would land on the other, least recently used chat
     * and reuse no more than the system prompt.
     */
    @Test
    void aFollowUpWithoutASystemMessageFindsItsChatAgain() {
        String question = "Tell me, in many words, about the ship, its crew, the sea, the storms and the islands.";
        int reusedImplicit = followUpReuse("custom", null, question);
        int reusedSpelledOut = followUpReuse("plain", CUSTOM, question);
        assertEquals(reusedSpelledOut, reusedImplicit);
    }

    /** Asks {@code question}, then a follow-up resending the conversation; the follow-up's reused positions. */
    private static int followUpReuse(String model, String system, String question) {
        ObjectNode body = ask(model, system, question);
        JsonNode first = server.complete(body);
        ArrayNode messages = (ArrayNode) body.get("messages");
        messages.addObject().put("role", "assistant").put("content", content(first));
        messages.addObject().put("role", "user").put("content", "And then?");
        JsonNode second = server.complete(body);
        int reused = second.at("/timings/reused_positions").asInt();
        assertTrue(reused >= tokens(first), "the first turn stays cached: " + reused + " of " + second.get("timings"));
        return reused;
    }

    /** A greedy request to {@code model}, with a system message when {@code system} is not null. */
    private static ObjectNode ask(String model, String system, String question) {
        ObjectNode body = greedy(question, 6).put("model", model);
        ArrayNode messages = body.putArray("messages");
        if (system != null) {
            messages.addObject().put("role", "system").put("content", system);
        }
        messages.addObject().put("role", "user").put("content", question);
        return body;
    }

    private static int tokens(JsonNode answer) {
        return answer.at("/usage/prompt_tokens").asInt();
    }

    private static String content(JsonNode answer) {
        return answer.at("/choices/0/message/content").asText();
    }
}
