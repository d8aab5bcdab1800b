package io.llava4j.cli.bench;

import static io.llava4j.cli.bench.BenchReport.summary;

import java.util.ArrayList;
import java.util.List;

/** The rows each scenario adds to the report, with what each figure covers. */
final class PhaseRows {
    private PhaseRows() {}

    /** Load, encode, prefill, generation, first token, memory and the Java cost of a token. */
    static void first(BenchReport report, List<LlavaSample> ours, List<MtmdSample> theirs, boolean rssPerRun) {
        boolean c = theirs != null;
        report.row(
                "load_ms",
                "load (ms)",
                false,
                summary(ours, LlavaSample::loadMs),
                c ? summary(theirs, MtmdSample::loadMs) : null,
                false,
                "llava4j: opening the language model and the mmproj and creating the context;"
                        + (c ? " llama-mtmd-cli: its 'load time', the language model file only (no ratio)" : ""));
        report.row(
                "encode_ms",
                "CLIP encode (ms)",
                false,
                summary(ours, LlavaSample::encodeMs),
                c ? summary(theirs, MtmdSample::encodeMs) : null,
                true,
                "llava4j: image preprocessing and hashing, the CLIP encode, templating and tokenizing the prompt"
                        + (c ? "; llama-mtmd-cli: its 'mtmd batch encoding done' time (CLIP only)" : ""));
        report.row(
                "prefill_pos_per_s",
                "prefill (positions/s)",
                true,
                summary(ours, LlavaSample::prefillPerSecond),
                c ? summary(theirs, MtmdSample::prefillPerSecond) : null,
                true,
                "prompt positions (text tokens and image embeddings) evaluated per second"
                        + (c
                                ? "; llama-mtmd-cli: its 'prompt eval time' less the CLIP encode, which that time"
                                        + " spans (the text before the image is decoded first)"
                                : ""));
        report.row(
                "generation_tok_per_s",
                "generation (tokens/s)",
                true,
                summary(ours, LlavaSample::generationPerSecond),
                c ? summary(theirs, MtmdSample::generationPerSecond) : null,
                true,
                "llava4j: tokens per second of the whole generation loop (decode, sampling, detokenizing,"
                        + " streaming)" + (c ? "; llama-mtmd-cli: its 'eval time' runs per second (decode only)" : ""));
        report.row(
                "first_token_ms",
                "time to first token (ms)",
                false,
                summary(ours, LlavaSample::firstTokenMs),
                c ? summary(theirs, MtmdSample::firstTokenMs) : null,
                true,
                "llava4j: from the question (image not yet encoded) to its first streamed text"
                        + (c
                                ? "; llama-mtmd-cli: its 'prompt eval time', from the first text decode across the encode to"
                                        + " the last (its image decoding, resizing and tokenizing before it not included)"
                                : ""));
        report.row(
                "peak_rss_mib",
                "peak RSS (MiB)",
                false,
                summary(ours, LlavaSample::peakRssMib),
                c ? summary(theirs, MtmdSample::peakRssMib) : null,
                true,
                rssPerRun
                        ? "llava4j: this JVM's VmHWM during the run (reset before each load): JVM and native model"
                                + " together" + (c ? "; llama-mtmd-cli: its process's VmHWM" : "")
                        : "llava4j: this JVM's VmHWM since it started (the kernel refused a reset): only the"
                                + " maximum is one run's peak");
        report.row(
                "java_us_per_token",
                "Java per token (us)",
                false,
                summary(ours, LlavaSample::javaMicrosPerToken),
                null,
                false,
                "sampling, piece lookup, UTF-8 assembly and stop check of one token, timed apart from the model");
        report.row(
                "java_share_pct",
                "Java share of a token (%)",
                false,
                summary(ours, LlavaSample::javaSharePercent),
                null,
                false,
                null);
        report.row(
                "prompt_positions",
                "prompt positions",
                true,
                summary(ours, s -> s.result().evaluatedPositions()),
                c ? summary(theirs, MtmdSample::promptPositions) : null,
                false,
                "positions evaluated (the templates differ: llava4j uses the model's LLaVA template)");
        report.row(
                "generated_tokens",
                "generated tokens",
                true,
                summary(ours, s -> s.result().generatedTokens()),
                c ? summary(theirs, MtmdSample::evalRuns) : null,
                false,
                null);
        if (c) {
            report.note("llama-mtmd-cli wall time (process start to exit): "
                    + BenchReport.fmt(summary(theirs, MtmdSample::wallMs).median()) + " ms (median)");
        }
    }

    /** The follow-up question's first token, and how much sooner it comes than the first question's. */
    static void followup(BenchReport report, List<LlavaSample> first, List<LlavaSample> second) {
        List<Double> speedup = new ArrayList<>();
        for (int i = 0; i < first.size(); i++) {
            speedup.add(first.get(i).firstTokenMs() / second.get(i).firstTokenMs());
        }
        report.row(
                "followup_first_token_ms",
                "follow-up first token (ms)",
                false,
                summary(second, LlavaSample::firstTokenMs),
                null,
                false,
                "a second question about the same image in the same chat: only its new positions are evaluated");
        report.row(
                "followup_speedup",
                "follow-up speed-up (x)",
                true,
                Summary.of(speedup),
                null,
                false,
                "first question's time to first token / the follow-up's, per run");
        report.row(
                "followup_positions",
                "follow-up positions",
                true,
                summary(second, s -> s.result().evaluatedPositions()),
                null,
                false,
                null);
        report.row(
                "followup_reused_positions",
                "follow-up reused positions",
                true,
                summary(second, s -> s.result().reusedPositions()),
                null,
                false,
                null);
    }

    /** Throughput of {@code count} concurrent chats; {@code theirs} null when no server is compared. */
    static void streams(BenchReport report, int count, List<StreamsSample> samples, List<StreamsSample> theirs) {
        String k = "streams_" + count;
        boolean c = theirs != null;
        report.row(
                k + "_tok_per_s",
                count + " streams: tokens/s",
                true,
                summary(samples, StreamsSample::aggregatePerSecond),
                c ? summary(theirs, StreamsSample::aggregatePerSecond) : null,
                true,
                "tokens of all chats together per second, from the first chat's first text to the last chat's end"
                        + " (one batched decode per step)"
                        + (c ? "; llama-server: the same over its streamed responses, tokens from its usage" : ""));
        report.row(
                k + "_all_generating_tok_per_s",
                count + " streams: tokens/s, all generating",
                true,
                summary(samples, StreamsSample::allGeneratingPerSecond),
                c ? summary(theirs, StreamsSample::allGeneratingPerSecond) : null,
                true,
                "pieces of text of all chats per second while every chat was generating (from the last"
                        + " first piece to the first last piece): the batched decoding alone, no prompt"
                        + " evaluated beside it");
        report.row(
                k + "_first_token_ms",
                count + " streams: first token (ms)",
                false,
                summary(samples, s -> Summary.of(boxed(s.firstTokenMs())).median()),
                c ? summary(theirs, s -> Summary.of(boxed(s.firstTokenMs())).median()) : null,
                true,
                "median over the chats of a round; each round repeats the same question in the same chats,"
                        + " whose KV caches keep the prompt from the round before"
                        + (c
                                ? "; llama-server: HTTP included, each request carries the image (its slots keep"
                                        + " the last prompt the same way)"
                                : ""));
        report.row(
                k + "_generated_tokens",
                count + " streams: tokens",
                true,
                summary(samples, StreamsSample::generatedTokens),
                c ? summary(theirs, StreamsSample::generatedTokens) : null,
                false,
                null);
    }

    private static List<Double> boxed(double[] values) {
        List<Double> list = new ArrayList<>();
        for (double v : values) {
            list.add(v);
        }
        return list;
    }
}
