package io.llava4j.cli.bench;

import io.llava4j.model.Vocabulary;
import io.llava4j.sampling.Sampler;
import io.llava4j.sampling.SamplerConfig;
import io.llava4j.sampling.StopDetector;
import io.llava4j.sampling.Utf8Streamer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Times the Java work a generated token costs, apart from the model: the same steps {@code Chat}'s
 * loop takes per token (sample from a direct buffer of vocabulary-size logits, accept, end-of-
 * generation check, piece lookup, UTF-8 assembly, stop-string detection) on random logits, where each
 * chosen token is pushed down so that the next choice differs. The native decode is not in it.
 */
final class JavaTokenCost {
    private static final int WARM = 64;
    private static final int MEASURED = 256;

    private JavaTokenCost() {}

    /** Microseconds per token (median of 4 rounds of {@value #MEASURED} tokens). */
    static double microsPerToken(Vocabulary vocab, SamplerConfig config, List<String> stopStrings) {
        int n = vocab.size();
        FloatBuffer logits = ByteBuffer.allocateDirect(n * Float.BYTES)
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < n; i++) {
            logits.put(i, (float) (random.nextDouble() * 20 - 10));
        }
        Sampler sampler = Sampler.create(config, n);
        StringBuilder sink = new StringBuilder();
        StopDetector detector = new StopDetector(stopStrings, sink::append);
        Utf8Streamer streamer = new Utf8Streamer(detector::offer);
        Vocabulary.PieceSink toStreamer = streamer::accept;
        run(vocab, sampler, logits, toStreamer, sink, WARM);
        double[] rounds = new double[4];
        for (int r = 0; r < rounds.length; r++) {
            long t0 = System.nanoTime();
            run(vocab, sampler, logits, toStreamer, sink, MEASURED);
            rounds[r] = (System.nanoTime() - t0) / 1e3 / MEASURED;
        }
        java.util.Arrays.sort(rounds);
        return (rounds[1] + rounds[2]) / 2;
    }

    private static void run(
            Vocabulary vocab,
            Sampler sampler,
            FloatBuffer logits,
            Vocabulary.PieceSink toStreamer,
            StringBuilder sink,
            int n) {
        for (int i = 0; i < n; i++) {
            int token = sampler.sample(logits);
            if (!vocab.isEndOfGeneration(token)) {
                sampler.accept(token);
                vocab.piece(token, toStreamer);
            }
            logits.put(token, logits.get(token) - 20);
            if (sink.length() > 1 << 16) {
                sink.setLength(0);
            }
        }
    }
}
