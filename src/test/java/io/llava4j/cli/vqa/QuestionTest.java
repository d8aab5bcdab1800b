package io.llava4j.cli.vqa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** model_vqa question lines, and the answer ids written next to them. */
class QuestionTest {
    @Test
    void parsesLlavaBenchLines() {
        Question q = Question.parse(
                "{\"question_id\": 0, \"image\": \"001.jpg\", \"text\": \"What is the name of this famous"
                        + " sight in the photo?\", \"category\": \"conv\", \"extra\": {\"a\": [1, 2]}}");
        assertEquals(new QuestionId("0", false), q.id());
        assertEquals("001.jpg", q.image());
        assertTrue(q.text().startsWith("What is the name"));
        Question s = Question.parse("{\"text\": \"Hi\", \"question_id\": \"v2_17\", \"image\": null}");
        assertEquals(new QuestionId("v2_17", true), s.id());
        assertNull(s.image());
    }

    @Test
    void badLinesSayWhatIsWrong() {
        assertMessage("not valid JSON", "{\"question_id\": 1, \"text\": ");
        assertMessage("not a JSON object", "[1, 2]");
        assertMessage("needs question_id and text", "{\"question_id\": 1}");
        assertMessage("question_id must be a number or a string", "{\"question_id\": [1], \"text\": \"x\"}");
        assertMessage("text must be a string", "{\"question_id\": 1, \"text\": 5}");
        assertMessage("more than one JSON value", "{\"question_id\": 1, \"text\": \"x\"} {}");
    }

    private static void assertMessage(String expected, String line) {
        Llava4jException e = assertThrows(Llava4jException.class, () -> Question.parse(line));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void answerIdsLookLikeShortuuid() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = ShortUuid.next();
            assertEquals(22, id.length());
            assertTrue(id.chars().allMatch(c -> ShortUuid.ALPHABET.indexOf(c) >= 0), id);
            seen.add(id);
        }
        assertEquals(1000, seen.size());
    }
}
