package io.llava4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.testmodels.TinyModels;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code info} and {@code tokenize} on a generated LLaVA pair (language model and mmproj). */
class GeneratedModelCliTest {
    @TempDir
    static Path dir;

    static TinyModels.Pair pair;

    @BeforeAll
    static void writeModels() {
        pair = TinyModels.llava15(dir, 3);
    }

    @Test
    void infoDescribesTheLanguageModel() {
        CliRunner.Result r = CliRunner.run("info", pair.lm().toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("architecture: llama"), r.out());
        assertTrue(r.out().contains("random weights"), "generated models say so in general.name: " + r.out());
        assertTrue(r.out().matches("(?s).*blk\\.1\\.ffn_down\\.weight\\s+\\w+\\s+\\[\\d+, \\d+\\].*"), r.out());
    }

    @Test
    void infoDescribesTheMmproj() {
        CliRunner.Result r = CliRunner.run("info", "--no-tensors", pair.mmproj().toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("architecture: clip"), r.out());
        assertTrue(r.out().matches("(?s).*clip\\.vision\\.image_size\\s+UINT32\\s+336\\n.*"), r.out());
    }

    @Test
    void tokenizeUsesTheCopiedTokenizer() {
        CliRunner.Result r =
                CliRunner.run("tokenize", "--ids-only", "-m", pair.lm().toString(), "Hello world");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("1 15043 3186", r.out().strip());
    }
}
