package io.llava4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llava4j.Llava4jException;
import io.llava4j.cli.bench.BenchReport;
import io.llava4j.cli.bench.MtmdCli;
import io.llava4j.cli.bench.MtmdSample;
import io.llava4j.cli.bench.Summary;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code llava4j bench} on the tiny shape: every scenario's report is well formed and counts real
 * work, the comparison runs llama-mtmd-cli and reads its timings. No timing is asserted: the
 * machine is shared.
 */
class BenchCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static String cacheBefore;

    @BeforeAll
    static void privateCache() {
        cacheBefore = System.getProperty("llava4j.cache");
        System.setProperty("llava4j.cache", dir.resolve("cache").toString());
    }

    @AfterAll
    static void restoreCache() {
        if (cacheBefore == null) {
            System.clearProperty("llava4j.cache");
        } else {
            System.setProperty("llava4j.cache", cacheBefore);
        }
    }

    private static JsonNode bench(String... args) throws Exception {
        String[] all = new String[args.length + 4];
        all[0] = "bench";
        all[1] = "--shape";
        all[2] = "tiny";
        all[3] = "--json";
        System.arraycopy(args, 0, all, 4, args.length);
        CliRunner.Result r = CliRunner.run(all);
        assertEquals(0, r.exitCode(), r.err());
        return JSON.readTree(r.out());
    }

    private static double median(JsonNode report, String phase, String side) {
        JsonNode p = report.path("phases").path(phase);
        assertTrue(p.has(side), phase + " has no " + side + ": " + report.toPrettyString());
        return p.path(side).path("median").asDouble();
    }

    @Test
    void firstQuestionReportsEveryPhaseOfEveryRun() throws Exception {
        JsonNode report = bench("--reps", "2", "--warmup", "0", "-n", "6");
        for (String phase : new String[] {
            "load_ms",
            "encode_ms",
            "prefill_pos_per_s",
            "generation_tok_per_s",
            "first_token_ms",
            "peak_rss_mib",
            "java_us_per_token",
            "prompt_positions",
            "generated_tokens"
        }) {
            assertTrue(median(report, phase, "llava4j") > 0, phase + ": " + report.toPrettyString());
            assertEquals(
                    2,
                    report.path("phases")
                            .path(phase)
                            .path("llava4j")
                            .path("values")
                            .size(),
                    phase);
        }
        // the image alone is 576 positions; -n caps the answer
        assertTrue(median(report, "prompt_positions", "llava4j") > 576);
        assertTrue(median(report, "generated_tokens", "llava4j") <= 6);
        assertEquals("first", report.path("config").path("scenario").asText());
        assertTrue(Files.isRegularFile(dir.resolve("cache/bench/tiny-v1/lm.gguf")), "pair written into the cache");
    }

    @Test
    void compareRunsLlamaMtmdCliOnTheSameFilesAndGivesRatios() throws Exception {
        JsonNode report = bench("--reps", "1", "--warmup", "0", "-n", "6", "--compare", "llama-mtmd-cli");
        assertEquals("llama-mtmd-cli", report.path("compared_with").asText());
        for (String phase :
                new String[] {"encode_ms", "prefill_pos_per_s", "generation_tok_per_s", "first_token_ms", "peak_rss_mib"
                }) {
            assertTrue(median(report, phase, "other") > 0, phase);
            assertTrue(report.path("phases").path(phase).path("ratio").asDouble() > 0, phase);
        }
        // same image: its 576 embeddings are in both prompts
        assertTrue(median(report, "prompt_positions", "other") > 576);
        assertTrue(median(report, "generated_tokens", "other") >= 1);
        assertTrue(report.path("phases").path("load_ms").path("ratio").isMissingNode(), "load covers other work");
    }

    @Test
    void aToolThatPrintsNoTimingsIsAClearError() {
        CliRunner.Result r = CliRunner.run(
                "bench",
                "--shape",
                "tiny",
                "--reps",
                "1",
                "--warmup",
                "0",
                "-n",
                "2",
                "--compare",
                "llama-mtmd-cli=/bin/true");
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.err().contains("cannot read llama-mtmd-cli's timings"), r.err());
        Llava4jException e = org.junit.jupiter.api.Assertions.assertThrows(
                Llava4jException.class, () -> MtmdCli.parse("load time = 1 ms\n", 1, 1));
        assertTrue(e.getMessage().contains("mtmd batch encoding done"), e.getMessage());
    }

    @Test
    void parsesTheTimingsOfThePinnedLlamaMtmdCli() {
        String out = """
                0.01.104.281 I encoding mtmd batch, n_chunks = 1 (done = 1, total = 3)
                0.01.428.245 I mtmd batch encoding done in 324 ms
                0.01.359.593 I image decoded (batch 1/1) in 249 ms
                0.02.942.167 I llama_perf_context_print:        load time =     220.92 ms
                0.02.942.244 I llama_perf_context_print: prompt eval time =    1004.88 ms /   593 tokens (    1.69 ms per token,   590.12 tokens per second)
                0.02.942.262 I llama_perf_context_print:        eval time =    1554.95 ms /   127 runs   (   12.24 ms per token,    81.67 tokens per second)
                """;
        MtmdSample s = MtmdCli.parse(out, 52.5, 3000);
        assertEquals(324, s.encodeMs());
        assertEquals(249, s.imageDecodeMs());
        assertEquals(220.92, s.loadMs(), 1e-9);
        assertEquals(593, s.promptPositions());
        assertEquals(127, s.evalRuns());
        // the prompt eval time spans the encode (the text before the image is decoded first)
        assertTrue(s.encodeInPromptEval());
        assertEquals(1004.88, s.firstTokenMs(), 1e-9);
        assertEquals(593 * 1000 / (1004.88 - 324), s.prefillPerSecond(), 1e-9);
        // one that cannot span it (shorter than encode plus image decoding) is counted after it
        MtmdSample apart = new MtmdSample(1, 324, 249, 593, 400, 127, 1554.95, 1, 1);
        assertTrue(!apart.encodeInPromptEval());
        assertEquals(724, apart.firstTokenMs(), 1e-9);
        assertEquals(593 * 1000 / 400.0, apart.prefillPerSecond(), 1e-9);
        assertEquals(127 * 1000 / 1554.95, s.generationPerSecond(), 1e-9);
    }

    @Test
    void followUpReusesTheFirstQuestionsPositions() throws Exception {
        JsonNode report = bench("--scenario", "followup", "--reps", "1", "--warmup", "0", "-n", "4", "--quant", "q8_0");
        assertTrue(median(report, "followup_first_token_ms", "llava4j") > 0);
        assertTrue(median(report, "followup_speedup", "llava4j") > 0);
        assertTrue(median(report, "followup_positions", "llava4j") > 0);
        // the first question's 576 image positions are not evaluated again
        assertTrue(median(report, "followup_reused_positions", "llava4j") > 576);
        assertTrue(median(report, "followup_positions", "llava4j") < 576);
        assertTrue(report.path("config").path("model").asText().contains("lm-q8_0.gguf"));
    }

    @Test
    void streamsReportEachCount() throws Exception {
        JsonNode report = bench("--scenario", "streams", "--streams", "1,2", "--reps", "1", "--warmup", "0", "-n", "4");
        assertTrue(median(report, "streams_1_tok_per_s", "llava4j") > 0);
        assertTrue(median(report, "streams_2_tok_per_s", "llava4j") > 0);
        assertTrue(median(report, "streams_2_generated_tokens", "llava4j")
                > median(report, "streams_1_generated_tokens", "llava4j"));
        assertTrue(report.path("phases").path("streams_4_tok_per_s").isMissingNode());
    }

    @Test
    void streamsCompareWithLlamaServerAtTheSameSlotCounts() throws Exception {
        JsonNode report = bench(
                "--scenario",
                "streams",
                "--streams",
                "1,2",
                "--reps",
                "1",
                "--warmup",
                "0",
                "-n",
                "4",
                "--compare",
                "llama-server");
        assertEquals("llama-server", report.path("compared_with").asText());
        for (int n : new int[] {1, 2}) {
            String k = "streams_" + n;
            assertTrue(median(report, k + "_tok_per_s", "other") > 0, k);
            assertTrue(
                    report.path("phases").path(k + "_tok_per_s").path("ratio").asDouble() > 0, k);
            // each of the n requests generated at least one token (usage), at most -n
            double theirs = median(report, k + "_generated_tokens", "other");
            assertTrue(theirs >= n && theirs <= 4 * n, k + ": " + theirs);
            // both sides keep the repeated prompt cached, so first tokens compare
            assertTrue(
                    report.path("phases")
                                    .path(k + "_first_token_ms")
                                    .path("ratio")
                                    .asDouble()
                            > 0,
                    k);
        }
        // one stream generates alone from its first piece to its last: 4 tokens, 3 gaps
        assertTrue(median(report, "streams_1_all_generating_tok_per_s", "llava4j") > 0);
        assertTrue(median(report, "streams_1_all_generating_tok_per_s", "other") > 0);
    }

    @Test
    void aServerThatCannotStartIsAClearError() {
        CliRunner.Result r = CliRunner.run(
                "bench",
                "--shape",
                "tiny",
                "--scenario",
                "streams",
                "--streams",
                "1",
                "--reps",
                "1",
                "--warmup",
                "0",
                "-n",
                "2",
                "--compare",
                "llama-server=/bin/false");
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.err().contains("false exited with status 1 while loading"), r.err());
    }

    @Test
    void tableShowsMediansSpreadsRatiosAndWhatEachFigureCovers() {
        BenchReport report = new BenchReport()
                .config("scenario", "first")
                .comparedWith("llama-mtmd-cli")
                .row(
                        "encode_ms",
                        "CLIP encode (ms)",
                        false,
                        Summary.of(List.of(900.0, 1000.0, 1100.0)),
                        Summary.of(List.of(500.0)),
                        true,
                        "CLIP and more")
                .row(
                        "prefill_pos_per_s",
                        "prefill (positions/s)",
                        true,
                        Summary.of(List.of(300.0)),
                        Summary.of(List.of(200.0)),
                        true,
                        null)
                .row("load_ms", "load (ms)", false, Summary.of(List.of(40.0)), Summary.of(List.of(20.0)), false, null);
        StringWriter text = new StringWriter();
        report.printTable(new PrintWriter(text));
        String table = text.toString();
        assertTrue(table.contains("CLIP encode (ms)           1000 (900-1100)"), table);
        assertTrue(table.contains("0.50x"), table); // lower is better: 500 / 1000
        assertTrue(table.contains("1.50x"), table); // higher is better: 300 / 200
        assertTrue(table.contains("CLIP encode (ms): CLIP and more"), table);
        assertTrue(table.lines().filter(l -> l.startsWith("load (ms)")).allMatch(l -> l.endsWith("-")), table);
    }

    @Test
    void contradictoryOptionsAreUsageErrors() {
        assertEquals(
                2, CliRunner.run("bench", "--shape", "tiny", "-m", "x.gguf").exitCode());
        assertEquals(2, CliRunner.run("bench", "--quant", "q4_k_m").exitCode());
        assertEquals(
                2,
                CliRunner.run("bench", "--scenario", "followup", "--compare", "llama-mtmd-cli")
                        .exitCode());
        assertEquals(
                2,
                CliRunner.run("bench", "--scenario", "first", "--compare", "llama-server")
                        .exitCode());
        assertEquals(
                2,
                CliRunner.run("bench", "--scenario", "streams", "--compare", "llama-mtmd-cli")
                        .exitCode());
        assertEquals(2, CliRunner.run("bench", "--scenario", "later").exitCode());
        assertEquals(2, CliRunner.run("bench", "--shape", "huge").exitCode());
        assertEquals(2, CliRunner.run("bench", "--streams", "0").exitCode());
    }
}
