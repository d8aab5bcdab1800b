package io.llava4j.cli.vqa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resuming an answers file: what counts as answered, and how an interrupted last line is repaired. */
class AnswerFileTest {
    private static final String A1 =
            "{\"question_id\":1,\"prompt\":\"p\",\"text\":\"t\",\"answer_id\":\"AAA\",\"model_id\":\"m\",\"metadata\":{}}";
    private static final String A2 =
            "{\"question_id\":\"two\",\"prompt\":\"p\",\"text\":\"ü \\\"q\\\"\",\"answer_id\":\"BBB\",\"model_id\":\"m\",\"metadata\":{}}";

    @TempDir
    Path dir;

    private Path file(String content) throws IOException {
        Path p = dir.resolve("answers.jsonl");
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void readsIdsOfBothTypesAndAppendsAfterThem() throws IOException {
        Path p = file(A1 + "\n" + A2 + "\n");
        try (AnswerFile f = AnswerFile.open(p)) {
            assertEquals(Map.of(new QuestionId("1", false), "AAA", new QuestionId("two", true), "BBB"), f.answered());
            assertEquals(0, f.droppedBytes());
            f.append(new QuestionId("3", false), "Why \"so\"?\n", "Bécause", "CCC", "model");
        }
        List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
        assertEquals(
                List.of(
                        A1,
                        A2,
                        "{\"question_id\":3,\"prompt\":\"Why \\\"so\\\"?\\n\",\"text\":\"Bécause\","
                                + "\"answer_id\":\"CCC\",\"model_id\":\"model\",\"metadata\":{}}"),
                lines);
    }

    @Test
    void anIncompleteLastLineIsDroppedAndAnUnterminatedCompleteOneKept() throws IOException {
        Path cut = file(A1 + "\n" + A2.substring(0, 30));
        try (AnswerFile f = AnswerFile.open(cut)) {
            assertEquals(30, f.droppedBytes());
            assertEquals(1, f.answered().size());
        }
        assertEquals(A1 + "\n", Files.readString(cut));

        Path whole = file(A1 + "\n" + A2);
        try (AnswerFile f = AnswerFile.open(whole)) {
            assertEquals(0, f.droppedBytes());
            assertEquals(2, f.answered().size());
            f.append(new QuestionId("3", false), "p", "t", "CCC", "m");
        }
        List<String> lines = Files.readAllLines(whole);
        assertEquals(3, lines.size());
        assertEquals(A2, lines.get(1), "the newline was added, not glued onto the next answer");
    }

    @Test
    void aBadLineBeforeTheLastIsRefusedAndTheFileLeftAlone() throws IOException {
        String content = A1 + "\n{\"question_id\":\n" + A2 + "\n";
        Path p = file(content);
        Llava4jException e = assertThrows(Llava4jException.class, () -> AnswerFile.open(p));
        assertEquals(Llava4jException.Code.INVALID_FILE, e.code());
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertEquals(content, Files.readString(p));
    }

    @Test
    void aMissingFileIsCreatedWithItsFolder() {
        Path p = dir.resolve("new/answers.jsonl");
        try (AnswerFile f = AnswerFile.open(p)) {
            assertTrue(f.answered().isEmpty());
        }
        assertTrue(Files.isRegularFile(p));
    }
}
