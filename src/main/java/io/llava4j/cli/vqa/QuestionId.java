package io.llava4j.cli.vqa;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * A {@code question_id} exactly as the question file spells it: a JSON number or string, written
 * back with the same type (LLaVA's benchmark files use both), so that evaluation scripts match
 * answers to questions. {@code 7} and {@code "7"} are different ids.
 *
 * @param text the number's digits or the string's value
 * @param string whether it is a JSON string
 */
public record QuestionId(String text, boolean string) {
    /**
     * Reads the id at the parser's current token.
     *
     * @return null if the token is neither a number nor a string
     */
    static QuestionId read(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_STRING) {
            return new QuestionId(p.getText(), true);
        }
        if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            return new QuestionId(p.getText(), false);
        }
        return null;
    }

    void write(JsonGenerator g) throws IOException {
        if (string) {
            g.writeString(text);
        } else {
            g.writeNumber(text);
        }
    }

    @Override
    public String toString() {
        return string ? '"' + text + '"' : text;
    }
}
