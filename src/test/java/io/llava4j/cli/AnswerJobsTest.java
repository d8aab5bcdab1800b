package io.llava4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code llava4j answer} at scale on a generated LLaVA-1.5 pair: several questions answered at once
 * ({@code --parallel}) give the answers of one at a time, in question order, and resume; an
 * evaluation cut into chunks ({@code --num-chunks}/{@code --chunk-idx}) and joined with {@code
 * answer merge} gives the file of one run. An F32 KV cache, as ChatGroupTest uses: batching then
 * changes only f32 rounding, far below this model's gaps between greedy candidates.
 */
class AnswerJobsTest {
    private static final List<String> QUESTIONS = List.of(
            "{\"question_id\": 1, \"image\": \"square.png\", \"text\": \"What is in the image?\"}",
            "{\"question_id\": \"q2\", \"image\": \"stripes.png\", \"text\": \"Describe the colours.\"}",
            "{\"question_id\": 3, \"text\": \"Say hello.\"}",
            "{\"question_id\": 4, \"image\": \"square.png\", \"text\": \"Is it bright?\"}",
            "{\"question_id\": 5, \"text\": \"Tell me a story about a fox.\"}",
            "{\"question_id\": 6, \"text\": \"Count to three.\"}");

    @TempDir
    static Path dir;

    static ChatFixture f;

    /** {@link #oneAtATime()}: the answers of one plain run, shared by the tests. */
    private static List<String> oneAtATime;

    @TempDir
    Path work;

    @BeforeAll
    static void setUp() throws IOException {
        f = new ChatFixture(dir);
    }

    private static CliRunner.Result answerTo(Path questions, Path answers, String... extra) {
        List<String> a = new ArrayList<>(List.of(
                "answer",
                "--questions",
                questions.toString(),
                "--image-folder",
                dir.toString(),
                "--answers",
                answers.toString()));
        a.addAll(f.modelArgs("--temp", "0", "-n", "8", "--kv-type", "f32"));
        a.addAll(List.of(extra));
        return CliRunner.run(a.toArray(String[]::new));
    }

    private CliRunner.Result answer(Path questions, Path answers, String... extra) {
        return answerTo(questions, answers, extra);
    }

    private static CliRunner.Result merge(String... args) {
        List<String> a = new ArrayList<>(List.of("answer", "merge"));
        a.addAll(List.of(args));
        return CliRunner.run(a.toArray(String[]::new));
    }

    private Path questions(List<String> lines) throws IOException {
        Path q = work.resolve("questions.jsonl");
        Files.write(q, lines, StandardCharsets.UTF_8);
        return q;
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.readAllLines(file, StandardCharsets.UTF_8);
    }

    /** The question_id and text of each answer line (answer_ids are random). */
    private static List<String> idsAndTexts(Path answers) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : lines(answers)) {
            out.add(line.substring(0, line.indexOf(",\"answer_id\"")));
        }
        return out;
    }

    private static List<String> ids(Path answers) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : lines(answers)) {
            out.add(line.substring("{\"question_id\":".length(), line.indexOf(",\"prompt\"")));
        }
        return out;
    }

    /** The question_ids and texts that one run answering one question at a time writes for {@link #QUESTIONS}. */
    private static synchronized List<String> oneAtATime() throws IOException {
        if (oneAtATime == null) {
            Path q = dir.resolve("all-questions.jsonl");
            Files.write(q, QUESTIONS, StandardCharsets.UTF_8);
            Path one = dir.resolve("one.jsonl");
            CliRunner.Result r = answerTo(q, one);
            assertEquals(0, r.exitCode(), r.err());
            assertFalse(r.err().contains("at once"), r.err());
            oneAtATime = idsAndTexts(one);
        }
        return oneAtATime;
    }

    @Test
    void questionsAnsweredAtOnceGetTheAnswersOfOneAtATimeInQuestionOrder() throws IOException {
        Path q = questions(QUESTIONS);
        // image questions take longer than text ones: later answers finish first and wait their turn
        Path many = work.resolve("parallel.jsonl");
        CliRunner.Result first = answer(q, many, "--parallel", "3", "--limit", "4");
        assertEquals(0, first.exitCode(), first.err());
        assertTrue(first.err().contains("answering 3 questions at once"), first.err());
        assertTrue(first.err().contains("[4/4] question 4:"), "progress in question order: " + first.err());
        assertEquals(List.of("1", "\"q2\"", "3", "4"), ids(many), "written in question order");
        List<String> before = lines(many);

        CliRunner.Result rest = answer(q, many, "--parallel", "3");
        assertEquals(0, rest.exitCode(), rest.err());
        assertTrue(rest.err().contains("6 questions, 4 already in parallel.jsonl, answering 2"), rest.err());
        assertTrue(rest.err().contains("answering 2 questions at once"), "no more chats than questions: " + rest.err());
        assertEquals(before, lines(many).subList(0, 4), "answers written before are kept byte for byte");
        assertEquals(oneAtATime(), idsAndTexts(many));
    }

    @Test
    void chunksAnsweredApartMergeIntoTheFileOfOneRun() throws IOException {
        Path q = questions(QUESTIONS);
        // 6 questions in 4 chunks: ceil(6/4) = 2 each, as model_vqa_loader cuts them: 2, 2, 2 and none
        List<Path> chunks = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            Path chunk = work.resolve("answers/4_" + k + ".jsonl");
            chunks.add(chunk);
            CliRunner.Result r =
                    answer(q, chunk, "--num-chunks", "4", "--chunk-idx", String.valueOf(k), "--parallel", "2");
            assertEquals(0, r.exitCode(), r.err());
            if (k < 3) {
                assertTrue(r.err().contains("chunk " + k + " of 4: questions " + (2 * k + 1)), r.err());
            } else {
                assertTrue(r.err().contains("chunk 3 of 4 is empty: 6 questions make 3 chunks of up to 2"), r.err());
                assertFalse(r.err().contains("template"), "nothing to answer: the model is not opened: " + r.err());
            }
        }
        assertEquals(List.of("1", "\"q2\""), ids(chunks.get(0)));
        assertEquals(List.of("3", "4"), ids(chunks.get(1)));
        assertEquals(List.of("5", "6"), ids(chunks.get(2)));
        assertEquals(List.of(), lines(chunks.get(3)), "a chunk beyond the last is an empty answers file");

        // in question order whatever the order of the files; the chunks' lines are copied as they are
        Path merged = work.resolve("answers/merge.jsonl");
        List<String> args = new ArrayList<>(List.of("--answers", merged.toString(), "--questions", q.toString()));
        List.of(2, 0, 3, 1).forEach(k -> args.add(chunks.get(k).toString()));
        CliRunner.Result m = merge(args.toArray(String[]::new));
        assertEquals(0, m.exitCode(), m.err());
        assertTrue(m.err().contains("merged 6 answers from 4 files"), m.err());
        assertEquals(oneAtATime(), idsAndTexts(merged));
        List<String> chunkLines = new ArrayList<>();
        for (Path chunk : chunks) {
            chunkLines.addAll(lines(chunk));
        }
        assertEquals(chunkLines, lines(merged));

        // without the questions: the files' order, as LLaVA's scripts cat them
        CliRunner.Result cat = merge(
                "--answers",
                merged.toString(),
                chunks.get(1).toString(),
                chunks.get(0).toString(),
                chunks.get(2).toString());
        assertEquals(0, cat.exitCode(), cat.err());
        assertEquals(List.of("3", "4", "1", "\"q2\"", "5", "6"), ids(merged));

        CliRunner.Result missing = merge(
                "--answers",
                merged.toString(),
                "--questions",
                q.toString(),
                chunks.get(0).toString(),
                chunks.get(2).toString());
        assertEquals(1, missing.exitCode(), missing.err());
        assertTrue(missing.err().contains("2 of 6 questions have no answer"), missing.err());
        assertTrue(missing.err().contains("3 (" + q + " line 3), 4 (" + q + " line 4)"), missing.err());
        assertEquals(List.of("3", "4", "1", "\"q2\"", "5", "6"), ids(merged), "a refused merge writes nothing");
    }

    @Test
    void usageErrors() throws IOException {
        Path q = questions(QUESTIONS);
        Path a = work.resolve("a.jsonl");
        assertUsage("must be 0 to 3 for 4 chunks, not 4", answer(q, a, "--num-chunks", "4", "--chunk-idx", "4"));
        assertUsage("must be >= 1, not 0", answer(q, a, "--num-chunks", "0"));
        assertUsage("not -1", answer(q, a, "--num-chunks", "2", "--chunk-idx", "-1"));
        assertUsage("--parallel must be 1 to 256, not 0", answer(q, a, "--parallel", "0"));
        assertUsage("--questions and --answers", CliRunner.run("answer", "--answers", a.toString()));
        assertUsage("CHUNK.jsonl", merge("--answers", a.toString()));
        assertUsage("--answers", merge(q.toString()));
        assertUsage("is given twice", merge("--answers", a.toString(), q.toString(), q.toString()));
        assertFalse(Files.exists(a), "nothing was written");
    }

    private static void assertUsage(String message, CliRunner.Result r) {
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains(message), r.err());
    }
}
