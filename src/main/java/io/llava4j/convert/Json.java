package io.llava4j.convert;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Reads JSON (checkpoint configs, tokenizer files, safetensors headers) into plain Java values with
 * jackson-databind's untyped mapping: objects become insertion-ordered {@code Map<String, Object>},
 * arrays {@code List<Object>}, integers {@code Long} (or {@code BigInteger} when larger, as in
 * tokenizer configs' {@code model_max_length = 1e30}), other numbers {@code Double}, plus
 * {@code String}, {@code Boolean} and {@code null}. A duplicate key keeps the last value, as Python's
 * {@code json.load} does. Callers treat the trees as read-only.
 *
 * <p>Strict JSON only: {@code NaN}/{@code Infinity}, comments and trailing commas are refused, and so
 * is anything after the value. Hostile input is bounded by jackson's default
 * {@link com.fasterxml.jackson.core.StreamReadConstraints} (nesting depth 1000, numbers of 1000
 * digits, strings of 20M characters). Thread-safe.
 */
public final class Json {
    private static final ObjectMapper MAPPER =
            new ObjectMapper().registerModule(new SimpleModule().addDeserializer(Number.class, new LongOrDouble()));

    private Json() {}

    /**
     * Parses a JSON file.
     *
     * @throws CheckpointException {@code IO} if it cannot be read, {@code INVALID_FILE} if it is not JSON
     */
    public static Object read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(MAPPER.createParser(in), file);
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
     * @throws CheckpointException {@code INVALID_FILE} if they are not JSON
     */
    public static Object parse(byte[] json, Path origin) {
        try {
            return parse(MAPPER.createParser(json), origin);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(Code.INVALID_FILE, origin, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new CheckpointException(Code.IO, origin, "cannot parse: " + e, e);
        }
    }

    private static Object parse(JsonParser p, Path origin) throws IOException {
        try (p) {
            if (p.nextToken() == null) {
                throw new CheckpointException(origin, "empty JSON document");
            }
            Object v = MAPPER.readValue(p, Object.class);
            if (p.nextToken() != null) {
                throw new CheckpointException(origin, "trailing data after the JSON value");
            }
            return v;
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

    /**
     * Numbers inside untyped values: jackson's default gives {@code Integer} for small integers, and
     * its {@code USE_LONG_FOR_INTS} refuses integers past {@code Long}; callers test for {@code Long}.
     */
    private static final class LongOrDouble extends StdDeserializer<Number> {
        private static final long serialVersionUID = 1L;

        LongOrDouble() {
            super(Number.class);
        }

        @Override
        public Number deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
                return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? p.getBigIntegerValue()
                        : p.getLongValue();
            }
            return p.getDoubleValue();
        }
    }
}
