package io.llava4j.cli.vqa;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Joins the answers files of the chunks of one evaluation ({@link Chunks}) into one answers file.
 *
 * <p>LLaVA's eval scripts (e.g. {@code scripts/v1_5/eval/gqa.sh}) merge with {@code cat} of the
 * chunk files {@code ${CHUNKS}_${IDX}.jsonl} in index order into {@code merge.jsonl}; {@link
 * #merge} without a questions file does the same with the files in the order given, and with one
 * writes the answers in its order, so that the merged file is the one a single run would have
 * written. Either way it refuses what {@code cat} lets through silently: a line that is not an
 * answer (a chunk cut short by an interruption), a question answered twice, and, given the
 * questions, a question without an answer or an answer to a question not asked. Answer lines are
 * copied byte for byte (answer ids and any extra fields stay). The output is replaced atomically
 * (temporary file, fsync, rename), so a failed merge leaves the previous one whole; it may be one of
 * the inputs.
 */
public final class AnswerMerge {
    /** Missing questions listed in an error before "and N more". */
    private static final int LISTED = 5;

    private AnswerMerge() {}

    /** An answer line of a chunk file: its text as written, and where it was read. */
    private record Answer(QuestionId id, String line, Path file, int lineNo) {
        String where() {
            return file + " line " + lineNo;
        }
    }

    /**
     * Merges {@code chunks} into {@code out}.
     *
     * @param chunks the chunk answers files, in chunk order
     * @param questions the questions file, whose order the answers take and all of whose questions
     *     must be answered (a question_id given twice is written once, where it first appears); null
     *     to copy the chunks' answers in chunk order
     * @return the number of answers written
     * @throws Llava4jException {@code INVALID_ARGUMENT} if no file or one file twice is given, {@code
     *     INVALID_FILE} naming the file and line of a bad line, a question answered twice, an answer
     *     to a question not in {@code questions} or (the first few) questions without an answer,
     *     {@code IO} if a file cannot be read or {@code out} written
     */
    public static int merge(List<Path> chunks, Path questions, Path out) {
        if (chunks.isEmpty()) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "no answers files to merge");
        }
        Set<Path> distinct = new HashSet<>();
        for (Path chunk : chunks) {
            if (!distinct.add(chunk.toAbsolutePath().normalize())) {
                throw new Llava4jException(Code.INVALID_ARGUMENT, chunk + " is given twice");
            }
        }
        Map<QuestionId, Answer> answers = new LinkedHashMap<>();
        for (Path chunk : chunks) {
            for (Answer a : read(chunk)) {
                Answer first = answers.putIfAbsent(a.id(), a);
                if (first != null) {
                    throw new Llava4jException(
                            Code.INVALID_FILE,
                            "question_id " + a.id() + " is answered twice: " + first.where() + " and " + a.where());
                }
            }
        }
        List<String> merged = new ArrayList<>(answers.size());
        if (questions == null) {
            answers.values().forEach(a -> merged.add(a.line()));
        } else {
            Map<QuestionId, Integer> asked = questionLines(questions);
            for (Answer a : answers.values()) {
                if (!asked.containsKey(a.id())) {
                    throw new Llava4jException(
                            Code.INVALID_FILE,
                            a.where() + ": question_id " + a.id() + " is not in " + questions
                                    + " (an answers file of another evaluation?)");
                }
            }
            List<String> missing = new ArrayList<>();
            for (Map.Entry<QuestionId, Integer> q : asked.entrySet()) {
                Answer a = answers.get(q.getKey());
                if (a != null) {
                    merged.add(a.line());
                } else {
                    missing.add(q.getKey() + " (" + questions + " line " + q.getValue() + ")");
                }
            }
            if (!missing.isEmpty()) {
                String listed = String.join(", ", missing.subList(0, Math.min(LISTED, missing.size())));
                throw new Llava4jException(
                        Code.INVALID_FILE,
                        missing.size() + " of " + asked.size() + " questions have no answer in the files to merge: "
                                + listed
                                + (missing.size() > LISTED ? " and " + (missing.size() - LISTED) + " more" : "")
                                + " (a chunk not answered to the end, or not given?)");
            }
        }
        write(out, merged);
        return merged.size();
    }

    /** The answer lines of a chunk file (blank lines skipped). */
    private static List<Answer> read(Path file) {
        String text = readText(file);
        List<Answer> answers = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (line.isBlank()) {
                continue;
            }
            AnswerFile.Ids ids = AnswerFile.ids(line);
            if (ids == null) {
                boolean cut = i == lines.length - 1; // no newline after it: the writer was interrupted
                throw new Llava4jException(
                        Code.INVALID_FILE,
                        file + " line " + (i + 1) + " is not an answer line (JSON with question_id)"
                                + (cut
                                        ? ": cut short by an interruption? Run answer on that chunk again to finish it"
                                        : ""));
            }
            answers.add(new Answer(ids.questionId(), line, file, i + 1));
        }
        return answers;
    }

    /** The question ids of a questions file with the line each first appears on, in file order. */
    private static Map<QuestionId, Integer> questionLines(Path questions) {
        String[] lines = readText(questions).split("\r\n|\r|\n", -1);
        Map<QuestionId, Integer> asked = new LinkedHashMap<>();
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            try {
                asked.putIfAbsent(Question.parse(lines[i]).id(), i + 1);
            } catch (Llava4jException e) {
                throw new Llava4jException(
                        Code.INVALID_FILE,
                        questions + " line " + (i + 1) + ": " + e.getMessage()
                                + ": fix it (and answer it) before merging",
                        e);
            }
        }
        return asked;
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, "cannot read " + file + ": " + e, e);
        }
    }

    /** Replaces {@code out} with {@code lines} atomically, as {@code ChatFile} saves a conversation. */
    private static void write(Path out, List<String> lines) {
        Path tmp = null;
        try {
            Path dir = out.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, out.getFileName().toString(), ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                StringBuilder text = new StringBuilder();
                for (String line : lines) {
                    text.append(line).append('\n');
                }
                ByteBuffer bytes = StandardCharsets.UTF_8.encode(text.toString());
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, "cannot write " + out + ": " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the target was not touched
                }
            }
        }
    }
}
