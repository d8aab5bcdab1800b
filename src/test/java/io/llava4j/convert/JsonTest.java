package io.llava4j.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException.Code;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JSON reader behind checkpoint configs, tokenizer files and safetensors headers. */
class JsonTest {
    @TempDir
    Path dir;

    private Path file(String json) throws IOException {
        return Files.writeString(dir.resolve("config.json"), json, StandardCharsets.UTF_8);
    }

    private CheckpointException refused(String json) throws IOException {
        Path f = file(json);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Json.read(f), json);
        assertEquals(Code.INVALID_FILE, e.code(), json);
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        return e;
    }

    @Test
    void integersAreLongsOrBigIntegersAndOtherNumbersDoubles() throws IOException {
        Map<String, Object> m = Json.readObject(file("{\"z\": 1, \"a\": [1.5, true, null, \"é\"], \"neg\": -7,"
                + " \"model_max_length\": 1000000000000000019884624838656, \"exp\": 1e2, \"o\": {}}"));
        assertEquals(List.of("z", "a", "neg", "model_max_length", "exp", "o"), List.copyOf(m.keySet()), "file order");
        assertEquals(1L, m.get("z"));
        assertEquals(Arrays.asList(1.5, true, null, "é"), m.get("a"));
        assertEquals(-7L, m.get("neg"));
        assertEquals(new BigInteger("1000000000000000019884624838656"), m.get("model_max_length"));
        assertEquals(100.0, m.get("exp"));
        assertEquals(Map.of(), m.get("o"));
        assertEquals(List.of(List.of(2L, 3L)), Json.read(file("[[2, 3]]")), "nested integers are longs too");
    }

    @Test
    void aDuplicateKeyKeepsTheLastValueInTheFirstPlace() throws IOException {
        Map<String, Object> m = Json.readObject(file("{\"a\": 1, \"b\": 2, \"a\": 3}"));
        assertEquals(List.of("a", "b"), List.copyOf(m.keySet()));
        assertEquals(3L, m.get("a"));
    }

    @Test
    void onlyStrictJsonIsAccepted() throws IOException {
        for (String bad :
                new String[] {"[NaN]", "[Infinity]", "{\"a\": 1} // c", "[1,]", "{'a': 1}", "{\"a\": 1} x", "{\"a\": "
                }) {
            assertTrue(refused(bad).getMessage().contains(": not valid JSON: "), bad);
        }
        assertTrue(refused("{} {}").getMessage().endsWith("trailing data after the JSON value"));
        assertTrue(refused(" \n").getMessage().endsWith("empty JSON document"));
        assertNull(Json.read(file("null")));
    }

    @Test
    void hostileNestingAndNumbersAreRefusedAsBadFiles() throws IOException {
        assertTrue(
                Json.read(file("[".repeat(1000) + "]".repeat(1000))) instanceof List<?>,
                "jackson's default depth of 1000 is accepted");
        assertTrue(refused("[".repeat(1001) + "]".repeat(1001)).getMessage().contains("nesting depth"));
        assertTrue(refused("{\"a\":".repeat(1001) + "1" + "}".repeat(1001))
                .getMessage()
                .contains("nesting depth"));
        assertTrue(refused("[1" + "0".repeat(1000) + "]").getMessage().contains("Number value length"));
    }

    @Test
    void errorsNameTheFileAndTheirKind() throws IOException {
        Path array = file("[1]");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Json.readObject(array));
        assertEquals(array + ": expected a JSON object at the top level", e.getMessage());

        Path missing = dir.resolve("missing.json");
        e = assertThrows(CheckpointException.class, () -> Json.read(missing));
        assertEquals(Code.IO, e.code());
        assertEquals(missing + ": file not found", e.getMessage());

        Path header = dir.resolve("model.safetensors");
        assertEquals(Map.of("x", List.of(1L)), Json.parse("{\"x\": [1]}".getBytes(StandardCharsets.UTF_8), header));
        byte[] cut = "{\"x\"".getBytes(StandardCharsets.UTF_8);
        e = assertThrows(CheckpointException.class, () -> Json.parse(cut, header));
        assertEquals(Code.INVALID_FILE, e.code());
        assertTrue(e.getMessage().startsWith(header + ": not valid JSON: "), e.getMessage());
    }
}
