package io.llava4j.model;

import java.nio.FloatBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.function.IntConsumer;
import java.util.function.ToIntFunction;

/**
 * One sequence of an {@link InferenceContext}'s KV cache: the positions evaluated for one
 * conversation. Feed it tokens or image embeddings, read the logits of its last position, truncate
 * or clear it; {@link InferenceContext#decode(InferenceContext.Step)} evaluates tokens of several
 * sequences in one batch.
 *
 * <p>A sequence is a view of its context: it has no native resources of its own and is valid until
 * the context closes (its methods then throw {@code CLOSED}). The context's threading rules apply:
 * one thread at a time uses the context and all its sequences.
 */
public final class KvSequence {
    final InferenceContext context;
    /** llama.cpp's sequence id. */
    final int id;
    /** Positions held (the next token's position). */
    int position;
    /** Index in the last decoded batch of this sequence's logits, or -1 when it has none. */
    int logitsIndex = -1;
    /** The context's decode count when {@link #logitsIndex} was set (later decodes replace the logits). */
    long logitsDecode;
    /** Tokens of this sequence in the step being checked or filled (see InferenceContext.decode(Step)). */
    int pending;

    KvSequence(InferenceContext context, int id) {
        this.context = context;
        this.id = id;
    }

    /** The context this sequence belongs to. */
    public InferenceContext context() {
        context.checkOpen();
        return context;
    }

    /** Its index in the context (llama.cpp's sequence id). */
    public int id() {
        context.checkOpen();
        return id;
    }

    /** Positions held (the next token's position). */
    public int position() {
        context.checkOpen();
        return position;
    }

    /** Positions it has room for ({@link InferenceContext#contextLength()}). */
    public int capacity() {
        return context.contextLength();
    }

    /** As {@link InferenceContext#decode(int[], int, int, IntConsumer)}, into this sequence. */
    public void decode(int[] tokens, int offset, int count, IntConsumer progress) {
        context.decode(this, tokens, offset, count, progress);
    }

    /** Evaluates one token at the next position (the generation step); allocates nothing. */
    public void decode(int token) {
        context.decode(this, token);
    }

    /** As {@link InferenceContext#decodeEmbeddings(float[], int, int, IntConsumer)}, into this sequence. */
    public void decodeEmbeddings(float[] embeddings, int offset, int count, IntConsumer progress) {
        context.decodeEmbeddings(this, embeddings, offset, count, progress);
    }

    /**
     * Calls {@code reader} with the logits of this sequence's last evaluated position, in place
     * (see {@link InferenceContext#readLogits}); they are readable until the next decode of any
     * sequence of the context.
     */
    public int readLogits(ToIntFunction<FloatBuffer> reader) {
        return context.readLogits(this, reader);
    }

    /** A copy of the logits of the last evaluated position. */
    public float[] logits() {
        return context.logits(this);
    }

    /** Drops every position from {@code newPosition} on. */
    public void truncate(int newPosition) {
        context.truncate(this, newPosition);
    }

    /** Empties the sequence. */
    public void clear() {
        context.truncate(this, 0);
    }

    /** As {@link InferenceContext#saveState}, for this sequence. */
    public long saveState(WritableByteChannel out) {
        return context.saveState(this, out);
    }

    /** As {@link InferenceContext#restoreState}, for this sequence; empty after a failure. */
    public void restoreState(ReadableByteChannel in, long size, int positions) {
        context.restoreState(this, in, size, positions);
    }

    @Override
    public String toString() {
        return "KvSequence[" + id + ", " + position + " positions]";
    }
}
