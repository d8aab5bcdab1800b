package io.llava4j.convert;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads JSON (checkpoint configs, tokenizer files, safetensors headers) into plain Java values with
 * jackson-core's streaming parser: objects become insertion-ordered {@code Map<String, Object>},
 * arrays {@code List<Object>}, integers {@code Long} (or {@code BigInteger} when larger), other
 * numbers {@code Double}, plus {@code String}, {@code Boolean} and {@code null}. The trees are
 * unmodifiable. A duplicate key keeps the last value, as Python's {@code json.load} does.
 */
public final class Json {
    private static final JsonFactory FACTORY = new JsonFactory();

    private Json() {}

    /**
     * Parses a JSON file.
     *
     * @throws CheckpointException {@code IO} if it cannot be read, {@code INVALID_FILE} if it is not JSON
     */
    public static Object read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(FACTORY.createParser(in), file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(Code.IO, file, "file not found", e);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(Code.INVALID_FILE, file, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new CheckpointException(Code.IO, file, "cannot read: " + e, e);
        }
    }

    /** Parses a JSON file that must hold an object. */
    public static Map<String, Object> readObject(Path file) {
        Object v = read(file);
        if (!(v instanceof Map)) {
            throw new CheckpointException(file, "expected a JSON object at the top level");
        }
        return asObject(v);
    }

    /**
     * Parses JSON bytes (e.g. a safetensors header).
     *
     * @param origin the file the bytes came from, for messages
     */
    public static Object parse(byte[] json, Path origin) {
        try {
            return parse(FACTORY.createParser(json), origin);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(Code.INVALID_FILE, origin, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new CheckpointException(Code.IO, origin, "cannot parse: " + e, e);
        }
    }

    private static Object parse(JsonParser p, Path origin) throws IOException {
        try (p) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new CheckpointException(origin, "empty JSON document");
            }
            Object v = value(p, first);
            if (p.nextToken() != null) {
                throw new CheckpointException(origin, "trailing data after the JSON value");
            }
            return v;
        }
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    String name = p.currentName();
                    m.put(name, value(p, p.nextToken()));
                }
                return Collections.unmodifiableMap(m);
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    l.add(value(p, e));
                }
                return Collections.unmodifiableList(l);
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT -> {
                return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? p.getBigIntegerValue() : p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return p.getDoubleValue();
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
            default -> throw new IOException("unexpected JSON token " + t);
        }
    }

    /** {@code v} as an object map (unchecked cast of a tree node). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> asObject(Object v) {
        return (Map<String, Object>) v;
    }

    /** {@code v} as a list (unchecked cast of a tree node). */
    @SuppressWarnings("unchecked")
    public static List<Object> asList(Object v) {
        return (List<Object>) v;
    }
}
