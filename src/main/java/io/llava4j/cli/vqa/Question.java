package io.llava4j.cli.vqa;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;

/**
 * One line of a LLaVA {@code model_vqa} question file: {@code {"question_id", "image", "text"}};
 * other fields (e.g. {@code category}) are ignored, as {@code model_vqa.py} ignores them.
 *
 * @param id the question's id
 * @param image the image file, relative to the image folder; null for a text-only question
 * @param text the question
 */
public record Question(QuestionId id, String image, String text) {
    private static final JsonFactory JSON = new JsonFactory();

    /**
     * Parses one line.
     *
     * @throws Llava4jException {@code INVALID_ARGUMENT} saying what is wrong with the line
     */
    public static Question parse(String line) {
        try (JsonParser p = JSON.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw invalid("not a JSON object");
            }
            QuestionId id = null;
            String image = null;
            String text = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "question_id" -> {
                        id = QuestionId.read(p);
                        if (id == null) {
                            throw invalid("question_id must be a number or a string");
                        }
                    }
                    case "image" -> {
                        if (value != JsonToken.VALUE_NULL && value != JsonToken.VALUE_STRING) {
                            throw invalid("image must be a string (a file in the image folder) or null");
                        }
                        image = value == JsonToken.VALUE_STRING && !p.getText().isEmpty() ? p.getText() : null;
                    }
                    case "text" -> {
                        if (value != JsonToken.VALUE_STRING) {
                            throw invalid("text must be a string");
                        }
                        text = p.getText();
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.nextToken() != null) {
                throw invalid("more than one JSON value on the line");
            }
            if (id == null || text == null) {
                throw invalid("a question needs question_id and text");
            }
            return new Question(id, image, text);
        } catch (JsonProcessingException e) {
            throw invalid("not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalStateException("reading a String cannot fail", e);
        }
    }

    private static Llava4jException invalid(String why) {
        return new Llava4jException(Code.INVALID_ARGUMENT, why);
    }
}
