package io.llava4j.serve;

import io.llava4j.conversation.EmbeddingCache;
import io.llava4j.conversation.GenerationResult;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The server's Prometheus metrics, in a registry of its own (several servers in one JVM, as in
 * tests, do not share counters). The figures of completions carry a {@code model} label, the
 * served model's id; {@code llava4j_requests_total} too, empty for requests that name no served
 * model (the page, {@code /health}, a request refused before it was routed).
 */
final class ServerMetrics {
    private static final double[] SECONDS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests = Counter.builder()
            .name("llava4j_requests_total")
            .help("HTTP requests answered, by endpoint, model and status code")
            .labelNames("endpoint", "model", "status")
            .register(registry);
    private final Counter promptTokens = Counter.builder()
            .name("llava4j_prompt_tokens_total")
            .help("Prompt positions of answered completions (text tokens and image embeddings)")
            .labelNames("model")
            .register(registry);
    private final Counter completionTokens = Counter.builder()
            .name("llava4j_completion_tokens_total")
            .help("Tokens generated")
            .labelNames("model")
            .register(registry);
    private final Counter reusedPositions = Counter.builder()
            .name("llava4j_reused_positions_total")
            .help("Prompt positions found in a KV cache and not evaluated again")
            .labelNames("model")
            .register(registry);
    private final Counter cancelled = Counter.builder()
            .name("llava4j_cancelled_total")
            .help("Completions cancelled: the client went away, or the server shut down")
            .labelNames("model")
            .register(registry);
    private final Histogram encode = seconds("llava4j_encode_seconds", "Image encoding time per completion");
    private final Histogram prefill = seconds("llava4j_prefill_seconds", "Prompt evaluation time per completion");
    private final Histogram generation = seconds("llava4j_generation_seconds", "Generation time per completion");

    /** The engines whose queue and active requests the gauges read when scraped. */
    private final List<CompletionEngine> engines = new CopyOnWriteArrayList<>();

    private Histogram seconds(String name, String help) {
        return Histogram.builder()
                .name(name)
                .help(help)
                .classicOnly()
                .classicUpperBounds(SECONDS)
                .labelNames("model")
                .register(registry);
    }

    ServerMetrics() {
        GaugeWithCallback.builder()
                .name("llava4j_queue_length")
                .help("Requests waiting for a free sequence")
                .labelNames("model")
                .callback(
                        cb -> engines.forEach(e -> cb.call(e.queued(), e.model().id())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("llava4j_active_requests")
                .help("Completions being answered")
                .labelNames("model")
                .callback(
                        cb -> engines.forEach(e -> cb.call(e.active(), e.model().id())))
                .register(registry);
        CounterWithCallback.builder()
                .name("llava4j_image_cache_hits")
                .help("Images whose embeddings came from the embedding cache instead of the encoder, by tier")
                .labelNames("model", "tier")
                .callback(cb -> engines.forEach(e -> {
                    EmbeddingCache.Stats s = e.imageCache();
                    cb.call(s.memoryHits(), e.model().id(), "memory");
                    cb.call(s.diskHits(), e.model().id(), "disk");
                }))
                .register(registry);
        CounterWithCallback.builder()
                .name("llava4j_image_cache_misses")
                .help("Images the encoder had to encode")
                .labelNames("model")
                .callback(cb -> engines.forEach(
                        e -> cb.call(e.imageCache().misses(), e.model().id())))
                .register(registry);
    }

    /**
     * Adds a served model: its queue and active requests are read when scraped, and its
     * completion figures start at zero (so a model that has not answered yet shows up too).
     */
    void watch(CompletionEngine e) {
        String model = e.model().id();
        for (var metric : List.of(promptTokens, completionTokens, reusedPositions, cancelled)) {
            metric.initLabelValues(model);
        }
        for (var metric : List.of(encode, prefill, generation)) {
            metric.initLabelValues(model);
        }
        engines.add(e);
    }

    /** @param model the served model the request went to; empty when none */
    void request(String endpoint, String model, int status) {
        requests.labelValues(endpoint, model, Integer.toString(status)).inc();
    }

    void completed(String model, GenerationResult r) {
        promptTokens.labelValues(model).inc(r.promptPositions());
        completionTokens.labelValues(model).inc(r.generatedTokens());
        reusedPositions.labelValues(model).inc(r.reusedPositions());
        encode.labelValues(model).observe(r.encodeMillis() / 1000.0);
        prefill.labelValues(model).observe(r.prefillMillis() / 1000.0);
        generation.labelValues(model).observe(r.generateMillis() / 1000.0);
    }

    void cancelled(String model) {
        cancelled.labelValues(model).inc();
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
