package io.llava4j.serve;

import static io.llava4j.serve.ServerFixture.dataUri;
import static io.llava4j.serve.ServerFixture.greedy;
import static io.llava4j.serve.ServerFixture.png;
import static io.llava4j.serve.ServerFixture.userWithImage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.testmodels.TinyModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A conversation that outgrows its sequence (1024 positions; each image takes 576) goes on: the
 * oldest question and answer are left out, whole with their image, and the response says so.
 */
class LongConversationTest {
    @TempDir
    static Path dir;

    @Test
    void theOldestTurnsGoWhenTheHistoryNoLongerFits() {
        TinyModels.Pair pair = TinyModels.llava15(dir, 41);
        try (LlavaModel model = LlavaModel.open(pair.lm(), pair.mmproj());
                ServerFixture server = new ServerFixture(model, ServeConfig.defaults(), 1, 4)) {
            ObjectNode body = greedy("x", 4);
            ArrayNode messages = body.putArray("messages");
            messages.add(userWithImage("What is in the image?", dataUri(png(1))));
            JsonNode first = server.complete(body);
            assertEquals(0, first.at("/llava4j/truncated_turns").asInt());

            messages.addObject()
                    .put("role", "assistant")
                    .put("content", first.at("/choices/0/message/content").asText());
            messages.add(userWithImage("And this one?", dataUri(png(2))));
            JsonNode second = server.complete(body);
            assertEquals(2, second.at("/llava4j/truncated_turns").asInt(), second.toString());
            int prompt = second.at("/usage/prompt_tokens").asInt();
            assertTrue(prompt > 576 && prompt < 2 * 576, "one image left in the prompt: " + prompt);
        }
    }
}
