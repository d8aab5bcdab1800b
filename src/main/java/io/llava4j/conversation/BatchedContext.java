package io.llava4j.conversation;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.model.InferenceContext;
import io.llava4j.model.KvSequence;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * An inference context whose sequences are evaluated by several threads at once, one per {@link
 * Sequence}: their decodes are combined into one {@code llama_decode} per step (continuous
 * batching). Each thread hands over its next piece of work (a sampled token, a chunk of a prompt,
 * a chunk of an image) and waits; when every active sequence has handed one over, the thread that
 * completes the set evaluates them all together and wakes the others, which then read their own
 * logits. A sequence that joins evaluates its prompt in chunks between the others' tokens, so a long
 * prompt does not stall them.
 *
 * <p>With one sequence this is a direct call, with one uncontended lock around it. Embeddings
 * cannot share a batch with tokens (llama.cpp takes one or the other), so an image chunk is
 * evaluated just before the step's token batch, or alone when it ends a prompt and its logits are
 * needed.
 *
 * <p>A step waits for every active sequence, so what a thread does between two decodes (sampling,
 * a {@link GenerationListener}) must be short and must not block: a listener that writes to a slow
 * network client should queue the text.
 */
final class BatchedContext implements AutoCloseable {
    private final InferenceContext ctx;
    private final InferenceContext.Step step;
    private final int chunk;
    private final int embeddingWidth;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Work handed over and not yet evaluated, in arrival order. */
    private final List<Work> pending = new ArrayList<>();
    /** Reused by the leader of a step: the work it evaluates. */
    private final List<Work> round = new ArrayList<>();

    /** Sequences between {@link #begin} and {@link #end}: a step waits for work from each. */
    private volatile int active;
    /** A step (or an exclusive call) is using the context. */
    private boolean busy;
    /** Steps evaluated, and pieces of work evaluated in them (for tests and statistics). */
    private long steps;

    private long pieces;

    /**
     * One sequence's piece of work, reused for every decode of that sequence (no allocation per
     * token). Fields are guarded by {@link #lock}.
     */
    static final class Work {
        final KvSequence kv;
        int[] tokens;
        float[] embeddings;
        int offset;
        int count;
        boolean logits;
        boolean done;
        /** In the step being evaluated: a cancel then waits for it (llama.cpp is reading its data). */
        boolean taken;

        boolean cancelled;
        RuntimeException failure;

        Work(KvSequence kv) {
            this.kv = kv;
        }
    }

    /** Shares {@code ctx}, which it closes. */
    BatchedContext(InferenceContext ctx) {
        this.ctx = ctx;
        this.step = ctx.newStep();
        // a prompt chunk leaves room in a step for one token of every other sequence
        this.chunk = Math.max(1, step.capacity() - ctx.sequenceCount() + 1);
        this.embeddingWidth = ctx.model().embeddingWidth();
    }

    InferenceContext context() {
        return ctx;
    }

    /**
     * The largest prompt chunk one sequence hands over now: a whole batch when it decodes alone;
     * while others generate, an eighth of one (64 of 512 positions), so that a long prompt or image
     * delays their next token by a short step rather than a full batch.
     */
    int chunk() {
        return active > 1 ? Math.max(16, chunk / 8) : chunk;
    }

    /** The sequence of {@code work} is about to decode: steps wait for it until {@link #end}. */
    void begin() {
        lock.lock();
        try {
            active++;
        } finally {
            lock.unlock();
        }
    }

    /** The sequence is done decoding; a step waiting for it goes on. */
    void end() {
        lock.lock();
        try {
            active--;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Evaluates {@code count} tokens (at most {@link #chunk()}) from {@code offset} at the next
     * positions of the work's sequence, together with the other sequences' work, and waits for them.
     *
     * @param logits whether the last token's logits are wanted
     */
    void decodeTokens(Work w, int[] tokens, int offset, int count, boolean logits) {
        handOver(w, tokens, null, offset, count, logits);
    }

    /** As {@link #decodeTokens}, for {@code count} embeddings (rows) from row {@code offset}. */
    void decodeEmbeddings(Work w, float[] embeddings, int offset, int count, boolean logits) {
        handOver(w, null, embeddings, offset, count, logits);
    }

    /**
     * Stops waiting for {@code w}'s work: if it is not evaluated yet it ends with {@code
     * CANCELLED}; with one sequence a running decode is stopped too.
     */
    void cancel(Work w) {
        lock.lock();
        try {
            w.cancelled = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (ctx.sequenceCount() == 1) {
            ctx.cancel();
        }
    }

    /** Clears a cancel request before a new evaluation. */
    void resetCancel(Work w) {
        lock.lock();
        try {
            w.cancelled = false;
        } finally {
            lock.unlock();
        }
    }

    /** Reads {@code kv}'s logits in place (no step runs meanwhile). */
    int readLogits(KvSequence kv, ToIntFunction<FloatBuffer> reader) {
        lock.lock();
        try {
            awaitIdle();
            return kv.readLogits(reader);
        } finally {
            lock.unlock();
        }
    }

    /** As {@link #exclusive(Supplier)}, for a call without a result. */
    void exclusive(Runnable call) {
        exclusive(() -> {
            call.run();
            return null;
        });
    }

    /** Runs {@code call} on the context alone (truncate, save, restore): no step runs meanwhile. */
    <T> T exclusive(Supplier<T> call) {
        lock.lock();
        try {
            awaitIdle();
            busy = true;
            try {
                return call.get();
            } finally {
                busy = false;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Steps evaluated so far and the pieces of work in them: more pieces than steps means batching. */
    long[] stepsAndPieces() {
        lock.lock();
        try {
            return new long[] {steps, pieces};
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        ctx.close();
    }

    /** Fills {@code w}, adds it to the next step and waits until it is evaluated. */
    private void handOver(Work w, int[] tokens, float[] embeddings, int offset, int count, boolean logits) {
        lock.lock();
        try {
            w.tokens = tokens;
            w.embeddings = embeddings;
            w.offset = offset;
            w.count = count;
            w.logits = logits;
            awaitEvaluated(w);
        } finally {
            lock.unlock();
        }
    }

    /** Adds {@code w} to the next step and waits until it is evaluated; the caller holds the lock. */
    private void awaitEvaluated(Work w) {
        if (w.cancelled) {
            throw new Llava4jException(Code.CANCELLED, "cancelled");
        }
        w.done = false;
        w.failure = null;
        pending.add(w);
        try {
            while (!w.done) {
                if (w.cancelled && !w.taken) {
                    pending.remove(w);
                    changed.signalAll();
                    throw new Llava4jException(Code.CANCELLED, "cancelled");
                }
                if (!busy && pending.size() >= active) {
                    lead();
                } else {
                    changed.awaitUninterruptibly();
                }
            }
        } finally {
            w.tokens = null;
            w.embeddings = null;
        }
        if (w.failure != null) {
            RuntimeException f = w.failure;
            w.failure = null;
            throw f;
        }
    }

    /**
     * Evaluates one step: the embeddings chunks handed over, then as many token chunks as fit one
     * batch. Called with the lock held; releases it while llama.cpp runs.
     */
    private void lead() {
        round.clear();
        Work alone = null;
        for (Work w : pending) {
            if (w.embeddings != null && w.logits) {
                alone = w;
                break;
            }
        }
        if (alone != null) {
            round.add(alone);
        } else {
            int room = step.capacity();
            for (Work w : pending) {
                if (w.embeddings != null) {
                    round.add(w);
                } else if (w.count <= room) {
                    room -= w.count;
                    round.add(w);
                }
            }
        }
        for (Work w : round) {
            w.taken = true;
        }
        busy = true;
        lock.unlock();
        // a failure belongs to the image chunk that caused it, or to every token chunk of the batch
        RuntimeException batchFailure = null;
        try {
            step.clear();
            for (Work w : round) {
                if (w.embeddings != null) {
                    try {
                        w.kv.decodeEmbeddings(w.embeddings, w.offset * embeddingWidth, w.count, null);
                    } catch (RuntimeException e) {
                        w.failure = e;
                    }
                } else {
                    for (int i = 0; i < w.count; i++) {
                        step.add(w.kv, w.tokens[w.offset + i], w.logits && i == w.count - 1);
                    }
                }
            }
            ctx.decode(step);
        } catch (RuntimeException e) {
            batchFailure = e;
        } finally {
            step.clear();
            lock.lock();
            busy = false;
        }
        steps++;
        pieces += round.size();
        for (Work w : round) {
            if (w.embeddings == null) {
                w.failure = batchFailure;
            }
            w.done = true;
            w.taken = false;
            pending.remove(w);
        }
        round.clear();
        changed.signalAll();
    }

    private void awaitIdle() {
        while (busy) {
            changed.awaitUninterruptibly();
        }
    }
}
