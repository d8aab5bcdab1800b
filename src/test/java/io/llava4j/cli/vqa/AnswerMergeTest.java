package io.llava4j.cli.vqa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Joining chunk answers files: the order, what is refused, and that a refused merge writes nothing. */
class AnswerMergeTest {
    @TempDir
    Path dir;

    private static String answer(String id, String text) {
        return "{\"question_id\":" + id + ",\"prompt\":\"p\",\"text\":\"" + text
                + "\",\"answer_id\":\"X\",\"model_id\":\"m\",\"metadata\":{}}";
    }

    private static String question(String id) {
        return "{\"question_id\": " + id + ", \"image\": \"a.png\", \"text\": \"Why?\"}";
    }

    private Path file(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private Path lines(String name, String... lines) throws IOException {
        return file(name, String.join("\n", lines) + "\n");
    }

    @Test
    void withoutQuestionsTheFilesAreJoinedInTheOrderGivenByteForByte() throws IOException {
        String odd = "{ \"text\": \"ünïcode\", \"question_id\": \"b\", \"answer_id\": \"Y\", \"extra\": [1] }";
        Path c0 = lines("4_0.jsonl", answer("1", "one"), odd);
        Path c1 = file("4_1.jsonl", "");
        Path c2 = file("4_2.jsonl", answer("3", "three") + "\r\n\n" + answer("2", "two")); // no final newline
        Path out = dir.resolve("merged/merge.jsonl");
        assertEquals(4, AnswerMerge.merge(List.of(c0, c1, c2), null, out));
        assertEquals(
                String.join("\n", answer("1", "one"), odd, answer("3", "three"), answer("2", "two")) + "\n",
                Files.readString(out, StandardCharsets.UTF_8));

        assertEquals(4, AnswerMerge.merge(List.of(c2, c1, c0), null, out));
        assertTrue(
                Files.readString(out).startsWith(answer("3", "three")), "the order of the files given, as cat joins");
    }

    @Test
    void withQuestionsTheAnswersTakeTheirOrder() throws IOException {
        Path q = lines("questions.jsonl", question("\"a\""), question("7"), "", question("3"), question("7"));
        Path c0 = lines("0.jsonl", answer("3", "three"));
        Path c1 = lines("1.jsonl", answer("7", "seven"), answer("\"a\"", "a"));
        Path out = dir.resolve("merge.jsonl");
        assertEquals(3, AnswerMerge.merge(List.of(c0, c1), q, out));
        assertEquals(
                List.of(answer("\"a\"", "a"), answer("7", "seven"), answer("3", "three")),
                Files.readAllLines(out),
                "a question_id asked twice is answered once, where it is first asked");

        // the output may be one of the inputs: everything is read before it is replaced
        assertEquals(3, AnswerMerge.merge(List.of(out), q, out));
        assertEquals(3, Files.readAllLines(out).size());
    }

    @Test
    void refusalsNameTheFileAndLineAndLeaveTheOutputAlone() throws IOException {
        Path q = lines("questions.jsonl", question("1"), question("2"), question("3"));
        Path out = file("merge.jsonl", "the previous merge\n");
        Path c0 = lines("0.jsonl", answer("1", "one"), answer("2", "two"));
        Path again = lines("1.jsonl", "", answer("2", "deux"));
        assertRefused(
                Code.INVALID_FILE,
                "question_id 2 is answered twice: " + c0 + " line 2 and " + again + " line 2",
                List.of(c0, again),
                null,
                out);

        assertRefused(
                Code.INVALID_FILE,
                "1 of 3 questions have no answer in the files to merge: 3 (" + q + " line 3)",
                List.of(c0),
                q,
                out);
        Path many = lines(
                "many.jsonl",
                question("1"),
                question("2"),
                question("3"),
                question("4"),
                question("5"),
                question("6"),
                question("7"),
                question("8"));
        assertRefused(Code.INVALID_FILE, "6 of 8 questions have no answer", List.of(c0), many, out);
        assertRefused(Code.INVALID_FILE, "7 (" + many + " line 7) and 1 more", List.of(c0), many, out);

        Path stranger = lines("2.jsonl", answer("3", "three"), answer("9", "nine"));
        assertRefused(
                Code.INVALID_FILE, stranger + " line 2: question_id 9 is not in " + q, List.of(c0, stranger), q, out);

        Path cut = file("cut.jsonl", answer("3", "three") + "\n{\"question_id\":4,\"pro");
        assertRefused(Code.INVALID_FILE, cut + " line 2 is not an answer line", List.of(cut), null, out);
        assertRefused(Code.INVALID_FILE, "cut short by an interruption", List.of(cut), null, out);
        Path broken = lines("broken.jsonl", "[]", answer("3", "three"));
        Llava4jException e = assertRefused(Code.INVALID_FILE, broken + " line 1 is not", List.of(broken), null, out);
        assertTrue(!e.getMessage().contains("interruption"), "a bad line before the last is no interruption");

        Path badQuestion = lines("bad-questions.jsonl", question("1"), "{\"question_id\": 2}");
        assertRefused(
                Code.INVALID_FILE,
                badQuestion + " line 2: a question needs question_id and text",
                List.of(c0),
                badQuestion,
                out);

        assertRefused(
                Code.INVALID_ARGUMENT,
                "0.jsonl is given twice",
                List.of(c0, dir.resolve(".").resolve("0.jsonl")),
                q,
                out);
        assertRefused(Code.INVALID_ARGUMENT, "no answers files", List.of(), q, out);
        assertRefused(Code.IO, "cannot read " + dir.resolve("none.jsonl"), List.of(dir.resolve("none.jsonl")), q, out);
        try (var listing = Files.list(dir)) {
            assertTrue(listing.noneMatch(p -> p.toString().endsWith(".tmp")), "no temporary file is left");
        }
    }

    private static Llava4jException assertRefused(
            Code code, String message, List<Path> chunks, Path questions, Path out) throws IOException {
        String before = Files.readString(out);
        Llava4jException e = assertThrows(Llava4jException.class, () -> AnswerMerge.merge(chunks, questions, out));
        assertEquals(code, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertEquals(before, Files.readString(out), "a refused merge leaves the output as it was");
        return e;
    }
}
