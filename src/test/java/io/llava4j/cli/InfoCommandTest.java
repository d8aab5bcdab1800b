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
        assertTrue(
                r.out().matches("(?s).*tokenizer\\.ggml\\.tokens\\s+ARRAY<STRING>\\s+\\['<unk>', '<s>', '</s>'.*"),
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
        assertTrue(r.err().contains("give a FILE.gguf, --system or --fit"), r.err());
    }

    @Test
    void systemNamesTheCpuVariantBackendsAndDevices() throws IOException {
        CliRunner.Result r = CliRunner.run("info", "--system");
        assertEquals(0, r.exitCode(), r.err());
        String variant = io.llava4j.nativeio.Backends.cpuVariant().orElseThrow();
        assertTrue(r.out().contains("CPU backend:  variant " + variant), r.out());
        assertTrue(r.out().matches("(?s).*\\n  CPU +cpu +.+ free of .*"), r.out());
        assertTrue(r.out().contains("libggml-cpu"), "the module file is named: " + r.out());
        assertTrue(r.out().contains("build:        backend=cpu"), r.out());

        CliRunner.Result json = CliRunner.run("info", "--system", "--json");
        assertEquals(0, json.exitCode(), json.err());
        try (JsonParser p = new JsonFactory().createParser(json.out())) {
            List<String> fields = new ArrayList<>();
            while (p.nextToken() != null) {
                if (p.currentToken() == JsonToken.FIELD_NAME) {
                    fields.add(p.currentName());
                }
            }
            assertTrue(
                    fields.containsAll(List.of("cpu_variant", "backends", "devices", "free_bytes", "rpc_protocol")),
                    "" + fields);
        }
    }

    @Test
    void fitPrintsEachPartAndTheLayersThatFitAGivenVram(@TempDir Path dir) throws IOException {
        io.llava4j.testmodels.TinyModels.Pair pair = io.llava4j.testmodels.TinyModels.llava15(dir, 3);
        var plan = io.llava4j.model.MemoryPlan.of(
                io.llava4j.gguf.GgufReader.read(pair.lm()),
                java.util.Optional.of(io.llava4j.gguf.GgufReader.read(pair.mmproj())),
                io.llava4j.model.ContextOptions.defaults().withContextLength(2048));
        long vram = plan.deviceBytes(2, true) + io.llava4j.model.GpuFit.HEADROOM;
        CliRunner.Result r = CliRunner.run(
                "info",
                "--fit",
                "-m",
                pair.lm().toString(),
                "--mmproj",
                pair.mmproj().toString(),
                "--ctx",
                "2048",
                "--vram",
                vram + "B");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("context 2048 (KV cache 2048 tokens, f16)"), r.out());
        assertTrue(r.out().contains("2 layers, KV cache"), r.out());
        assertTrue(r.out().matches("(?s).*\\n   +-ngl 2 of 3 \\+ vision tower: GPU .*"), r.out());
        int cpuVision = plan.layersThatFit(vram - io.llava4j.model.GpuFit.HEADROOM, false);
        assertTrue(cpuVision >= 2);
        assertTrue(r.out().contains("--mmproj-on-cpu  -ngl " + cpuVision + " of 3: GPU"), r.out());

        CliRunner.Result bad = CliRunner.run("info", "--fit", "-m", pair.lm().toString(), "--vram", "lots");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("--vram lots: not a size"), bad.err());
        CliRunner.Result noModel = CliRunner.run("info", "--fit");
        assertEquals(2, noModel.exitCode());
        assertTrue(noModel.err().contains("--fit needs -m"), noModel.err());
    }

    @Test
    void sizesParseLikeGpuMemoryIsQuoted() {
        assertEquals(6L << 30, Sizes.parseBytes("6G"));
        assertEquals(6L << 30, Sizes.parseBytes("6GiB"));
        assertEquals(6L << 30, Sizes.parseBytes("6 gb"));
        assertEquals(512L << 20, Sizes.parseBytes("512M"));
        assertEquals((long) (1.5 * (1L << 30)), Sizes.parseBytes("1.5G"));
        assertEquals(123, Sizes.parseBytes("123"));
        for (String bad : List.of("", "G", "-1G", "1e9", "0x10", "6X", "NaN", "Infinity")) {
            assertEquals(-1, Sizes.parseBytes(bad), bad);
        }
    }
}
