package io.llava4j.serve;

import io.llava4j.conversation.GenerationResult;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.IntSupplier;

/**
 * The server's Prometheus metrics, in a registry of its own (several servers in one JVM, as in
 * tests, do not share counters).
 */
final class ServerMetrics {
    private static final double[] SECONDS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests = Counter.builder()
            .name("llava4j_requests_total")
            .help("HTTP requests answered, by endpoint and status code")
            .labelNames("endpoint", "status")
            .register(registry);
    private final Counter promptTokens = Counter.builder()
            .name("llava4j_prompt_tokens_total")
            .help("Prompt positions of answered completions (text tokens and image embeddings)")
            .register(registry);
    private final Counter completionTokens = Counter.builder()
            .name("llava4j_completion_tokens_total")
            .help("Tokens generated")
            .register(registry);
    private final Counter reusedPositions = Counter.builder()
            .name("llava4j_reused_positions_total")
            .help("Prompt positions found in a KV cache and not evaluated again")
            .register(registry);
    private final Counter cancelled = Counter.builder()
            .name("llava4j_cancelled_total")
            .help("Completions cancelled: the client went away, or the server shut down")
            .register(registry);
    private final Histogram encode = seconds("llava4j_encode_seconds", "Image encoding time per completion");
    private final Histogram prefill = seconds("llava4j_prefill_seconds", "Prompt evaluation time per completion");
    private final Histogram generation = seconds("llava4j_generation_seconds", "Generation time per completion");

    private Histogram seconds(String name, String help) {
        return Histogram.builder()
                .name(name)
                .help(help)
                .classicOnly()
                .classicUpperBounds(SECONDS)
                .register(registry);
    }

    /** Adds gauges that read the engine's queue and active requests when scraped. */
    void watch(IntSupplier queued, IntSupplier active) {
        GaugeWithCallback.builder()
                .name("llava4j_queue_length")
                .help("Requests waiting for a free sequence")
                .callback(cb -> cb.call(queued.getAsInt()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("llava4j_active_requests")
                .help("Completions being answered")
                .callback(cb -> cb.call(active.getAsInt()))
                .register(registry);
    }

    void request(String endpoint, int status) {
        requests.labelValues(endpoint, Integer.toString(status)).inc();
    }

    void completed(GenerationResult r) {
        promptTokens.inc(r.promptPositions());
        completionTokens.inc(r.generatedTokens());
        reusedPositions.inc(r.reusedPositions());
        encode.observe(r.encodeMillis() / 1000.0);
        prefill.observe(r.prefillMillis() / 1000.0);
        generation.observe(r.generateMillis() / 1000.0);
    }

    void cancelled() {
        cancelled.inc();
    }

    /** The text exposition format, version 0.0.4. */
    byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }
}
