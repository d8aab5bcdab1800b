package io.llava4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.llava4j.testmodels.LlamaCppTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code llava4j info}: text and JSON output and every option, on a real vocabulary GGUF. */
class InfoCommandTest {
    private final Path vocab = LlamaCppTree.vocab("llama-spm");

    @Test
    void textShowsArchitectureMetadataAndTensors() {
        CliRunner.Result r = CliRunner.run("info", vocab.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("architecture: llama"), r.out());
        assertTrue(r.out().matches("(?s).*tokenizer\\.ggml\\.tokens\\s+ARRAY<STRING>\\s+\\['<unk>', '<s>', '</s>'.*"),
                r.out());
        assertTrue(r.out().contains("... 31992 more]"), "default shows 8 of 32000 tokens: " + r.out());
        assertTrue(r.out().contains("\ntensors:\n"), r.out());
    }

    @Test
    void maxArrayLimitsTheElementsShown() {
        CliRunner.Result r = CliRunner.run("info", "--max-array", "2", vocab.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("['<unk>', '<s>', ... 31998 more]"), r.out());
    }

    @Test
    void noTensorsLeavesOutTheTensorList() {
        CliRunner.Result r = CliRunner.run("info", "--no-tensors", vocab.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(r.out().contains("\ntensors:\n"), r.out());
    }

    @Test
    void jsonIsParseableAndComplete() throws IOException {
        CliRunner.Result r = CliRunner.run("info", "--json", "--max-array", "3", vocab.toString());
        assertEquals(0, r.exitCode(), r.err());
        try (JsonParser p = new JsonFactory().createParser(r.out())) {
            String arch = null;
            int tokensLength = -1;
            List<String> tokenValues = new ArrayList<>();
            boolean sawTensors = false;
            String field = null;
            while (p.nextToken() != null) {
                if (p.currentToken() == JsonToken.FIELD_NAME) {
                    field = p.currentName();
                    if (field.equals("general.architecture")) {
                        p.nextToken();
                        arch = p.getText();
                    } else if (field.equals("tokenizer.ggml.tokens")) {
                        p.nextToken();
                        while (p.nextToken() != JsonToken.END_OBJECT) {
                            String f = p.currentName();
                            p.nextToken();
                            if (f.equals("length")) {
                                tokensLength = p.getIntValue();
                            } else if (f.equals("values")) {
                                while (p.nextToken() != JsonToken.END_ARRAY) {
                                    tokenValues.add(p.getText());
                                }
                            }
                        }
                    } else if (field.equals("tensors")) {
                        sawTensors = true;
                    }
                }
            }
            assertEquals("llama", arch);
            assertEquals(32000, tokensLength);
            assertEquals(List.of("<unk>", "<s>", "</s>"), tokenValues);
            assertTrue(sawTensors);
        }
    }

    @Test
    void malformedFileIsAnErrorWithExitCode1(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.gguf");
        Files.write(bad, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0, 1});
        CliRunner.Result r = CliRunner.run("info", bad.toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("bad.gguf"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void missingArgumentIsAUsageError() {
        CliRunner.Result r = CliRunner.run("info");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("Missing required parameter"), r.err());
    }
}
