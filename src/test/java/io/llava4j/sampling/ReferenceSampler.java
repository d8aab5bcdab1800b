package io.llava4j.sampling;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Naive transcription of llama.cpp's sampler chain ({@code src/llama-sampler.cpp}: penalties,
 * top_k, top_p, min_p, temp, dist) for tests: builds a candidate list of the whole vocabulary,
 * sorts it fully and works in double precision. Slow on purpose; it is the yardstick that the
 * optimised stages are compared with.
 */
final class ReferenceSampler {
    private ReferenceSampler() {}

    /** One candidate of the reference list. */
    record Token(int id, double logit) {}

    /** A direct, native-order buffer holding {@code values}, as production passes them. */
    static FloatBuffer direct(float... values) {
        FloatBuffer b = ByteBuffer.allocateDirect(values.length * Float.BYTES)
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        b.put(values).flip();
        return b;
    }

    /** Applies llama.cpp's penalties for the last {@code window} tokens of {@code history}. */
    static double[] penalised(float[] logits, SamplerConfig c, int[] history) {
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i];
        }
        if (!c.hasPenalties()) {
            return out;
        }
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = Math.max(0, history.length - c.penaltyWindow()); i < history.length; i++) {
            counts.merge(history[i], 1, Integer::sum);
        }
        // In float, like llama.cpp, so that the test can demand the same values bit for bit.
        for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
            float l = logits[e.getKey()];
            l = l <= 0 ? l * (float) c.repeatPenalty() : l / (float) c.repeatPenalty();
            l -= e.getValue() * (float) c.frequencyPenalty() + (float) c.presencePenalty();
            out[e.getKey()] = l;
        }
        return out;
    }

    /** The candidates surviving top-k, top-p and min-p, sorted by logit descending, id ascending. */
    static List<Token> survivors(double[] logits, SamplerConfig c) {
        List<Token> cur = new ArrayList<>();
        for (int i = 0; i < logits.length; i++) {
            cur.add(new Token(i, logits[i]));
        }
        // Float comparison semantics (-0 equals +0), ties by id: the order every stage promises.
        cur.sort((a, b) -> a.logit() > b.logit() ? -1 : a.logit() < b.logit() ? 1 : Integer.compare(a.id(), b.id()));
        if (c.topK() > 0 && c.topK() < cur.size()) {
            cur = new ArrayList<>(cur.subList(0, c.topK()));
        }
        if (c.topP() < 1) {
            double[] p = softmax(cur, 1);
            double cum = 0;
            for (int i = 0; i < cur.size(); i++) {
                cum += p[i];
                if (cum >= c.topP()) {
                    cur = new ArrayList<>(cur.subList(0, i + 1));
                    break;
                }
            }
        }
        if (c.minP() > 0) {
            double min = cur.get(0).logit() + Math.log(c.minP());
            int keep = 1;
            while (keep < cur.size() && cur.get(keep).logit() >= min) {
                keep++;
            }
            cur = new ArrayList<>(cur.subList(0, keep));
        }
        return cur;
    }

    /** Probability of every token under the whole chain (one-hot argmax when greedy). */
    static double[] distribution(float[] logits, SamplerConfig c, int[] history) {
        double[] penalised = penalised(logits, c, history);
        double[] out = new double[logits.length];
        List<Token> kept = survivors(penalised, c);
        if (c.isGreedy()) {
            out[kept.get(0).id()] = 1;
            return out;
        }
        double[] p = softmax(kept, c.temperature());
        for (int i = 0; i < kept.size(); i++) {
            out[kept.get(i).id()] = p[i];
        }
        return out;
    }

    private static double[] softmax(List<Token> tokens, double temperature) {
        double max = tokens.get(0).logit();
        double[] p = new double[tokens.size()];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp((tokens.get(i).logit() - max) / temperature);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
