package io.llava4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code llava4j answer} on a generated LLaVA-1.5 pair: model_vqa's file formats, greedy answers
 * equal to {@code llava4j run} on the same prompt, and resuming after an interruption.
 */
class AnswerCommandTest {
    private static final List<String> QUESTIONS = List.of(
            "{\"question_id\": 1, \"image\": \"square.png\", \"text\": \"What is in the image?\", \"category\": \"conv\"}",
            "{\"question_id\": \"q2\", \"image\": \"stripes.png\", \"text\": \"Describe the colours.\"}",
            "{\"question_id\": 3, \"text\": \"Say hello.\"}",
            "{\"question_id\": 4, \"image\": \"square.png\", \"text\": \"Is it bright?\"}");

    @TempDir
    static Path dir;

    static ChatFixture f;

    @TempDir
    Path work;

    @BeforeAll
    static void setUp() throws IOException {
        f = new ChatFixture(dir);
    }

    private CliRunner.Result answer(Path questions, Path answers, String... extra) {
        List<String> a = new ArrayList<>(List.of(
                "answer",
                "--questions",
                questions.toString(),
                "--image-folder",
                dir.toString(),
                "--answers",
                answers.toString()));
        a.addAll(f.modelArgs("--temp", "0", "-n", "6"));
        a.addAll(List.of(extra));
        return CliRunner.run(a.toArray(String[]::new));
    }

    private Path questions(List<String> lines) throws IOException {
        Path q = work.resolve("questions.jsonl");
        Files.write(q, lines, StandardCharsets.UTF_8);
        return q;
    }

    /** An answer line as field name to value text ({@code "{}"} for an empty object). */
    private static Map<String, String> fields(String line) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        try (JsonParser p = new JsonFactory().createParser(line)) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken(), line);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (t == JsonToken.START_OBJECT) {
                    assertEquals(JsonToken.END_OBJECT, p.nextToken(), "metadata is empty, as model_vqa writes it");
                    m.put(name, "{}");
                } else {
                    m.put(name, p.getText());
                }
            }
        }
        return m;
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.readAllLines(file, StandardCharsets.UTF_8);
    }

    @Test
    void interruptedRunResumesWithoutRedoingAnswers() throws IOException {
        Path q = questions(QUESTIONS);
        Path out = work.resolve("out").resolve("answers.jsonl");
        CliRunner.Result first = answer(q, out, "--limit", "2");
        assertEquals(0, first.exitCode(), first.err());
        assertEquals("", first.out(), "answers go to the file, nothing to stdout");
        List<String> before = lines(out);
        assertEquals(2, before.size(), first.err());
        assertTrue(before.get(0).startsWith("{\"question_id\":1,"), "a numeric id stays a number: " + before.get(0));
        assertTrue(
                before.get(1).startsWith("{\"question_id\":\"q2\","), "a string id stays a string: " + before.get(1));

        // killed while writing question 3: half a line, no newline
        Files.writeString(
                out,
                "{\"question_id\":3,\"prompt\":\"Say hel",
                StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
        CliRunner.Result second = answer(q, out);
        assertEquals(0, second.exitCode(), second.err());
        assertTrue(second.err().contains("removed an incomplete last line"), second.err());
        assertTrue(second.err().contains("4 questions, 2 already in answers.jsonl, answering 2"), second.err());
        List<String> after = lines(out);
        assertEquals(4, after.size(), String.join("\n", after));
        assertEquals(before, after.subList(0, 2), "finished answers are kept byte for byte (answer_ids included)");

        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : after) {
            rows.add(fields(line));
        }
        assertEquals(
                List.of("1", "q2", "3", "4"),
                rows.stream().map(r -> r.get("question_id")).collect(Collectors.toList()));
        for (Map<String, String> r : rows) {
            assertEquals(
                    List.of("question_id", "prompt", "text", "answer_id", "model_id", "metadata"),
                    List.copyOf(r.keySet()));
            assertEquals("lm", r.get("model_id"), "the model file's name without extension");
            assertTrue(r.get("answer_id").matches("[2-9A-HJ-NP-Za-km-z]{22}"), r.get("answer_id"));
        }
        assertEquals(4, rows.stream().map(r -> r.get("answer_id")).distinct().count());
        assertEquals(
                "What is in the image?",
                rows.get(0).get("prompt"),
                "prompt is the question text, as model_vqa writes it");

        // the answers are what run gives for "<image>\n" + text, and text alone without an image
        assertEquals(
                f.run("--image", f.square.toString(), "-p", "What is in the image?", "--temp", "0", "-n", "6")
                        .strip(),
                rows.get(0).get("text"));
        assertEquals(
                f.run("-p", "Say hello.", "--temp", "0", "-n", "6").strip(),
                rows.get(2).get("text"));
        // the last question after three others: answered in a fresh conversation, as run answers it alone
        assertEquals(
                f.run("--image", f.square.toString(), "-p", "Is it bright?", "--temp", "0", "-n", "6")
                        .strip(),
                rows.get(3).get("text"));

        CliRunner.Result third = answer(q, out);
        assertEquals(0, third.exitCode(), third.err());
        assertTrue(third.err().contains("answering 0"), third.err());
        assertFalse(third.err().contains("template"), "nothing to do: the model is not even opened: " + third.err());
        assertEquals(after, lines(out));
    }

    @Test
    void badQuestionsAreReportedAndTheOthersAnswered() throws IOException {
        Path q = questions(List.of(
                QUESTIONS.get(0),
                "{\"question_id\": 9, \"text\": ",
                "",
                "{\"question_id\": 5, \"image\": \"later.png\", \"text\": \"And this?\"}",
                QUESTIONS.get(2),
                "{\"question_id\": 1, \"text\": \"the same id again\"}"));
        Path out = work.resolve("answers.jsonl");
        CliRunner.Result r = answer(q, out);
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.err().contains("questions.jsonl line 2: not valid JSON"), r.err());
        assertTrue(r.err().contains("error: question 5: ") && r.err().contains("later.png"), r.err());
        assertTrue(r.err().contains("question_id 1 appears twice"), r.err());
        assertEquals(2, lines(out).size(), "questions 1 and 3 answered");

        Files.copy(f.stripes, dir.resolve("later.png"));
        CliRunner.Result again = answer(q, out);
        assertEquals(1, again.exitCode(), "line 2 is still broken: " + again.err());
        assertTrue(again.err().contains("answering 1"), again.err());
        assertEquals(3, lines(out).size());
        assertTrue(
                lines(out).get(2).startsWith("{\"question_id\":5,"), lines(out).get(2));
    }

    @Test
    void modelIdOptionAndADamagedAnswersFile() throws IOException {
        Path q = questions(QUESTIONS.subList(2, 3));
        Path out = work.resolve("answers.jsonl");
        CliRunner.Result r = answer(q, out, "--model-id", "llava-v1.5-7b");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("llava-v1.5-7b", fields(lines(out).get(0)).get("model_id"));

        String damaged = "not json\n" + Files.readString(out);
        Files.writeString(out, damaged);
        CliRunner.Result bad = answer(questions(QUESTIONS), out);
        assertEquals(1, bad.exitCode());
        assertTrue(bad.err().contains("line 1 is not an answer line"), bad.err());
        assertEquals(damaged, Files.readString(out), "a file it cannot read is left alone");
    }

    @Test
    void usageErrors() throws IOException {
        Path q = questions(QUESTIONS);
        CliRunner.Result noOut = CliRunner.run("answer", "--questions", q.toString());
        assertEquals(2, noOut.exitCode());
        assertTrue(noOut.err().contains("--answers"), noOut.err());
        CliRunner.Result noVision = CliRunner.run(
                "answer",
                "--questions",
                q.toString(),
                "--answers",
                work.resolve("a.jsonl").toString(),
                "--image-folder",
                dir.toString(),
                "-m",
                f.pair.lm().toString());
        assertEquals(2, noVision.exitCode());
        assertTrue(noVision.err().contains("--mmproj"), noVision.err());
    }
}
