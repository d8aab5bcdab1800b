package io.llava4j.cli.vqa;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A LLaVA {@code model_vqa} answers file (JSONL) that grows one flushed line per answer, so that
 * an interrupted run can resume: {@link #open} reads the ids already answered and repairs a last
 * line cut short by the interruption.
 *
 * <p>Only the last line may be incomplete (each answer is written as one line with its newline in
 * one write); a bad line before it is not ours to drop, so it is refused. Not thread-safe.
 */
public final class AnswerFile implements AutoCloseable {
    private static final JsonFactory JSON = new JsonFactory();

    private final FileChannel channel;
    private final Map<QuestionId, String> answered;
    private final int droppedBytes;

    private AnswerFile(FileChannel channel, Map<QuestionId, String> answered, int droppedBytes) {
        this.channel = channel;
        this.answered = answered;
        this.droppedBytes = droppedBytes;
    }

    /**
     * Opens (or creates) an answers file for appending.
     *
     * @throws Llava4jException {@code IO} if it cannot be read or written, {@code INVALID_FILE} if a
     *     line other than the last is not an answer line
     */
    public static AnswerFile open(Path path) {
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            FileChannel ch = FileChannel.open(
                    path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                byte[] bytes = Files.readAllBytes(path);
                Map<QuestionId, String> answered = new LinkedHashMap<>();
                int start = 0;
                int lineNo = 0;
                for (int i = 0; i < bytes.length; i++) {
                    if (bytes[i] == '\n') {
                        lineNo++;
                        String line = new String(bytes, start, i - start, StandardCharsets.UTF_8);
                        if (!line.isBlank() && !read(line, answered)) {
                            throw new Llava4jException(
                                    Code.INVALID_FILE,
                                    path + " line " + lineNo
                                            + " is not an answer line (JSON with question_id); fix or remove it to resume");
                        }
                        start = i + 1;
                    }
                }
                int dropped = 0;
                if (start < bytes.length) {
                    String tail = new String(bytes, start, bytes.length - start, StandardCharsets.UTF_8);
                    if (read(tail, answered)) {
                        ch.write(ByteBuffer.wrap(new byte[] {'\n'}), bytes.length); // complete but unterminated
                    } else {
                        dropped = bytes.length - start; // cut short by the interruption: answer it again
                        ch.truncate(start);
                    }
                }
                ch.position(ch.size());
                return new AnswerFile(ch, answered, dropped);
            } catch (RuntimeException | IOException e) {
                ch.close();
                throw e;
            }
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, "cannot open " + path + " for answers: " + e.getMessage(), e);
        }
    }

    /** Reads one line's question_id and answer_id into {@code into}; false if it is not an answer line. */
    private static boolean read(String line, Map<QuestionId, String> into) {
        Ids ids = ids(line);
        if (ids == null) {
            return false;
        }
        into.put(ids.questionId(), ids.answerId());
        return true;
    }

    /**
     * The ids of an answer line.
     *
     * @param questionId the question answered
     * @param answerId the answer's id, "" if the line has none
     */
    record Ids(QuestionId questionId, String answerId) {}

    /** The ids of one line: null if it is not one JSON object with a question_id. */
    static Ids ids(String line) {
        try (JsonParser p = JSON.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            QuestionId id = null;
            String answerId = "";
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("question_id")) {
                    id = QuestionId.read(p);
                } else if (field.equals("answer_id") && p.currentToken() == JsonToken.VALUE_STRING) {
                    answerId = p.getText();
                } else {
                    p.skipChildren();
                }
            }
            if (id == null || p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                return null;
            }
            return new Ids(id, answerId);
        } catch (JsonProcessingException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The questions answered in the file, with their answer ids, in file order. */
    public Map<QuestionId, String> answered() {
        return Collections.unmodifiableMap(answered);
    }

    /** Bytes of an incomplete last line that {@link #open} removed; 0 if there was none. */
    public int droppedBytes() {
        return droppedBytes;
    }

    /**
     * Appends one answer line in {@code model_vqa}'s field order and pushes it to the file before
     * returning, so that a kill after this call never loses the answer.
     *
     * @throws Llava4jException {@code IO} if the write fails
     */
    public void append(QuestionId id, String prompt, String text, String answerId, String modelId) {
        StringWriter line = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(line)) {
            g.writeStartObject();
            g.writeFieldName("question_id");
            id.write(g);
            g.writeStringField("prompt", prompt);
            g.writeStringField("text", text);
            g.writeStringField("answer_id", answerId);
            g.writeStringField("model_id", modelId);
            g.writeFieldName("metadata");
            g.writeStartObject();
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing to a String cannot fail", e);
        }
        line.write('\n');
        ByteBuffer bytes = StandardCharsets.UTF_8.encode(line.toString());
        try {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, "cannot write an answer: " + e.getMessage(), e);
        }
        answered.put(id, answerId);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, "cannot close the answers file: " + e.getMessage(), e);
        }
    }
}
