package io.llava4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.gguf.GgmlType;
import io.llava4j.sampling.Sampler;
import io.llava4j.testmodels.TinyModels;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several KV sequences in one context, decoded together in one batch per step, compute what each
 * computes alone in a context of its own.
 *
 * <p>Tolerance: with an F32 KV cache the batched and the solo evaluation differ only in the f32
 * summation order of the matrix products (a batch of several tokens takes ggml's tiled kernels, one
 * token the row kernel) and of the attention over a longer padded cache. Each logit is a chain of
 * dot products of width at most 4 × n_embd; reordering a sum of w terms moves it by at most
 * w·u·Σ|terms| (u = 2⁻²⁴), and through the few layers of the tiny model that stays below
 * 1e-4 × (1 + max |logit|). The model's greedy top-2 gaps are mostly far above that; steps whose gap
 * is not are compared by logits only, and every step is teacher-forced with the solo run's token so
 * that one near-tie cannot make the runs diverge.
 */
class KvSequencesTest {
    private static final String[] PROMPTS = {
        "The quick brown fox jumps over the lazy dog. Once upon a time", "In a hole in the ground there lived"
    };
    private static final int STEPS = 24;

    @TempDir
    static Path dir;

    static LanguageModel lm;

    @BeforeAll
    static void load() {
        lm = LanguageModel.load(TinyModels.llava15(dir, 42).lm());
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    static ContextOptions options() {
        return ContextOptions.defaults().withContextLength(256).withThreads(2).withKvType(GgmlType.F32);
    }

    /** Greedy solo run: the logits before each of {@code STEPS} tokens, and the tokens. */
    static float[][] solo(String prompt, int[] tokensOut) {
        try (InferenceContext ctx = lm.newContext(options())) {
            int[] ids = lm.vocabulary().tokenize(prompt, true, false);
            ctx.decode(ids, 0, ids.length);
            float[][] logits = new float[STEPS][];
            for (int i = 0; i < STEPS; i++) {
                logits[i] = ctx.logits();
                tokensOut[i] = ctx.readLogits(Sampler::argmax);
                ctx.decode(tokensOut[i]);
            }
            return logits;
        }
    }

    @Test
    void sequencesDecodedTogetherMatchEachAlone() {
        int n = PROMPTS.length;
        int[][] tokens = new int[n][STEPS];
        float[][][] expected = new float[n][][];
        for (int s = 0; s < n; s++) {
            expected[s] = solo(PROMPTS[s], tokens[s]);
        }
        int checkedTokens = 0;
        try (InferenceContext ctx = lm.newContext(options(), n)) {
            assertEquals(n, ctx.sequenceCount());
            assertEquals(256, ctx.contextLength(), "each sequence has the context length asked for");
            // both prompts in one step, logits for the last token of each
            InferenceContext.Step step = ctx.newStep();
            int[][] prompts = new int[n][];
            for (int s = 0; s < n; s++) {
                prompts[s] = lm.vocabulary().tokenize(PROMPTS[s], true, false);
                for (int t = 0; t < prompts[s].length; t++) {
                    assertTrue(step.add(ctx.sequence(s), prompts[s][t], t == prompts[s].length - 1));
                }
            }
            ctx.decode(step);
            for (int s = 0; s < n; s++) {
                assertEquals(prompts[s].length, ctx.sequence(s).position());
            }
            for (int i = 0; i < STEPS; i++) {
                for (int s = 0; s < n; s++) {
                    float[] got = ctx.sequence(s).logits();
                    float[] want = expected[s][i];
                    double tol = tolerance(want);
                    for (int v = 0; v < want.length; v++) {
                        assertTrue(
                                Math.abs(got[v] - want[v]) <= tol,
                                "sequence " + s + " step " + i + " token " + v + ": " + got[v] + " vs " + want[v]
                                        + " (tolerance " + tol + ")");
                    }
                    if (gap(want) > 2 * tol) {
                        assertEquals(tokens[s][i], ctx.sequence(s).readLogits(Sampler::argmax));
                        checkedTokens++;
                    }
                }
                for (int s = 0; s < n; s++) {
                    assertTrue(step.add(ctx.sequence(s), tokens[s][i], true));
                }
                ctx.decode(step);
                assertEquals(0, step.size(), "a decoded step is emptied");
            }
        }
        assertTrue(checkedTokens > n * STEPS / 2, "most steps decide their token clearly: " + checkedTokens);
    }

    /**
     * Regression: a step's tokens went to llama.cpp in the order they were added, and its
     * non-unified cache evaluates in one micro-batch only sequences whose ids follow each other,
     * increasing ({@code split_equal} with {@code sequential}): four concurrent chats whose tokens
     * arrived 3, 1, 2, 0 cost four passes over the weights per step. Now the batch is ordered by
     * sequence, each sequence's tokens in the order added, and gives the logits of the same step
     * added in order, bit for bit (it is the same batch).
     */
    @Test
    void aStepReachesLlamaCppOrderedBySequence() {
        int n = 4;
        int[] word = lm.vocabulary().tokenize(" picture of a cat", false, false);
        try (InferenceContext inOrder = lm.newContext(options(), n);
                InferenceContext shuffled = lm.newContext(options(), n)) {
            for (InferenceContext ctx : new InferenceContext[] {inOrder, shuffled}) {
                InferenceContext.Step step = ctx.newStep();
                for (int s = 0; s < n; s++) {
                    int[] prompt = lm.vocabulary().tokenize(PROMPTS[s % PROMPTS.length], true, false);
                    for (int t = 0; t < prompt.length; t++) {
                        step.add(ctx.sequence(s), prompt[t], t == prompt.length - 1);
                    }
                }
                ctx.decode(step);
            }
            int[] before = new int[n];
            for (int s = 0; s < n; s++) {
                before[s] = inOrder.sequence(s).position();
                assertEquals(before[s], shuffled.sequence(s).position());
            }
            // sequence 1 takes two tokens, the others one
            InferenceContext.Step a = inOrder.newStep();
            a.add(inOrder.sequence(0), word[0], true);
            a.add(inOrder.sequence(1), word[1], false);
            a.add(inOrder.sequence(1), word[2], true);
            a.add(inOrder.sequence(2), word[3], true);
            a.add(inOrder.sequence(3), word[0], true);
            inOrder.decode(a);
            InferenceContext.Step b = shuffled.newStep();
            b.add(shuffled.sequence(3), word[0], true);
            b.add(shuffled.sequence(1), word[1], false);
            b.add(shuffled.sequence(2), word[3], true);
            b.add(shuffled.sequence(1), word[2], true);
            b.add(shuffled.sequence(0), word[0], true);
            shuffled.decode(b);
            int[] ids = {0, 1, 1, 2, 3};
            int[] positions = {before[0], before[1], before[1] + 1, before[2], before[3]};
            for (int i = 0; i < ids.length; i++) {
                assertEquals(ids[i], shuffled.lastBatchSequence(i), "sequence of batch token " + i);
                assertEquals(positions[i], shuffled.lastBatchPosition(i), "position of batch token " + i);
            }
            for (int s = 0; s < n; s++) {
                assertEquals(before[s] + (s == 1 ? 2 : 1), shuffled.sequence(s).position());
                assertArrayEquals(
                        inOrder.sequence(s).logits(), shuffled.sequence(s).logits(), "sequence " + s);
            }
        }
    }

    @Test
    void sequencesAreIndependent() {
        int[] ids0 = lm.vocabulary().tokenize(PROMPTS[0], true, false);
        int[] ids1 = lm.vocabulary().tokenize(PROMPTS[1], true, false);
        try (InferenceContext ctx = lm.newContext(options(), 2)) {
            KvSequence a = ctx.sequence(0);
            KvSequence b = ctx.sequence(1);
            a.decode(ids0, 0, ids0.length, null);
            float[] before = a.logits();
            b.decode(ids1, 0, ids1.length, null);
            // another sequence's decode replaces the logits buffer
            assertEquals(
                    Code.ILLEGAL_STATE,
                    assertThrows(Llava4jException.class, a::logits).code());
            b.clear();
            assertEquals(0, b.position());
            assertEquals(ids0.length, a.position(), "clearing one sequence keeps the other");
            // the last token again, on what a still holds: its logits come back the same
            a.truncate(ids0.length - 1);
            a.decode(ids0[ids0.length - 1]);
            assertArrayEquals(before, a.logits(), 1e-4f * (1 + maxAbs(before)));

            // each sequence has the context length of its own
            int[] fill = new int[ctx.contextLength() - a.position()];
            java.util.Arrays.fill(fill, ids0[1]);
            a.decode(fill, 0, fill.length, null);
            assertEquals(
                    Code.CONTEXT_FULL,
                    assertThrows(Llava4jException.class, () -> a.decode(ids0[1]))
                            .code());
            b.decode(ids1, 0, ids1.length, null);
            assertEquals(ids1.length, b.position());
        }
    }

    @Test
    void aBadStepIsRefusedBeforeLlamaCppSeesIt() {
        try (InferenceContext ctx = lm.newContext(options(), 2);
                InferenceContext other = lm.newContext(options())) {
            InferenceContext.Step step = ctx.newStep();
            step.add(ctx.sequence(0), 1, true);
            step.add(other.sequence(0), 1, true);
            assertEquals(
                    Code.INVALID_ARGUMENT,
                    assertThrows(Llava4jException.class, () -> ctx.decode(step)).code());
            step.add(ctx.sequence(1), lm.vocabulary().size(), true);
            assertEquals(
                    Code.INVALID_ARGUMENT,
                    assertThrows(Llava4jException.class, () -> ctx.decode(step)).code());
            assertEquals(0, ctx.sequence(0).position());
            assertEquals(0, ctx.sequence(1).position());
            assertEquals(
                    Code.INVALID_ARGUMENT,
                    assertThrows(Llava4jException.class, () -> ctx.sequence(2)).code());
            assertEquals(
                    Code.INVALID_ARGUMENT,
                    assertThrows(Llava4jException.class, () -> lm.newContext(options(), 0))
                            .code());
            // a step holds at most a batch
            for (int i = 0; i < step.capacity(); i++) {
                assertTrue(step.add(ctx.sequence(i % 2), 1, false));
            }
            assertFalse(step.add(ctx.sequence(0), 1, true));
        }
    }

    @Test
    void aSequenceStateMovesToAnotherSequence() {
        int[] ids = lm.vocabulary().tokenize(PROMPTS[1], true, false);
        ByteArrayOutputStream saved = new ByteArrayOutputStream();
        float[] logits;
        try (InferenceContext ctx = lm.newContext(options(), 2)) {
            ctx.sequence(1).decode(ids, 0, ids.length - 1, null);
            ctx.sequence(1).saveState(Channels.newChannel(saved));
            ctx.sequence(1).decode(ids[ids.length - 1]);
            logits = ctx.sequence(1).logits();
        }
        byte[] bytes = saved.toByteArray();
        try (InferenceContext ctx = lm.newContext(options(), 3)) {
            // llama.cpp's sequence state records the context's stream count, one per sequence
            Llava4jException e = assertThrows(
                    Llava4jException.class,
                    () -> ctx.sequence(1)
                            .restoreState(
                                    Channels.newChannel(new java.io.ByteArrayInputStream(bytes)),
                                    bytes.length,
                                    ids.length - 1));
            assertEquals(Code.INVALID_FILE, e.code());
            assertEquals(0, ctx.sequence(1).position());
        }
        try (InferenceContext ctx = lm.newContext(options(), 2)) {
            KvSequence target = ctx.sequence(0);
            target.restoreState(
                    Channels.newChannel(new java.io.ByteArrayInputStream(bytes)), bytes.length, ids.length - 1);
            assertEquals(ids.length - 1, target.position());
            assertEquals(0, ctx.sequence(1).position());
            target.decode(ids[ids.length - 1]);
            assertArrayEquals(logits, target.logits(), 1e-4f * (1 + maxAbs(logits)));
        }
    }

    static double tolerance(float[] logits) {
        return 1e-4 * (1 + maxAbs(logits));
    }

    static float maxAbs(float[] v) {
        float m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    /** Top-1 minus top-2. */
    static double gap(float[] v) {
        float first = Float.NEGATIVE_INFINITY;
        float second = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            if (x > first) {
                second = first;
                first = x;
            } else if (x > second) {
                second = x;
            }
        }
        return first - second;
    }
}
