package io.llava4j.pull;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plain Java values (maps, lists, strings, numbers, booleans, null) from jackson-core's streaming
 * parser: enough for the small catalogue without the databind module.
 */
final class JsonValues {
    private JsonValues() {}

    /** Reads the value starting at {@code token}. */
    static Object read(JsonParser p, JsonToken token) throws IOException {
        if (token == null) {
            throw new IOException("unexpected end of input");
        }
        switch (token) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                    String key = p.currentName();
                    m.put(key, read(p, p.nextToken()));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                    l.add(read(p, t));
                }
                return l;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return p.getNumberValue();
            }
            case VALUE_TRUE -> {
                return Boolean.TRUE;
            }
            case VALUE_FALSE -> {
                return Boolean.FALSE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new IOException("unexpected " + token);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o, String where) {
        if (o instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new Llava4jException(Code.INVALID_FILE, where + ": expected an object");
    }

    static List<Object> list(Object o, String where) {
        if (o instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        throw new Llava4jException(Code.INVALID_FILE, where + ": expected an array");
    }

    static String string(Map<String, Object> m, String key, String where) {
        if (m.get(key) instanceof String s && !s.isBlank()) {
            return s;
        }
        throw new Llava4jException(Code.INVALID_FILE, where + ": '" + key + "' must be a non-empty string");
    }
}
