package io.llava4j.conversation;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.model.InferenceContext;
import io.llava4j.model.KvSequence;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import java.util.function.ToIntFunction;
import java.util.function.UnaryOperator;

/**
 * One KV sequence and what it holds, position by position: the only code that evaluates prompts
 * and sampled tokens into a KV cache.
 *
 * <p>Holding a prompt takes two calls: {@link #reuse} keeps the longest prefix of units the cache
 * already holds and cuts the rest, {@link #evaluate} evaluates the prompt's remaining units (token
 * runs in batches, images whole). {@link #append} evaluates one sampled token. Each position is recorded as a token
 * id, or as part of an image named by its {@link EmbeddingKey}; image floats are not kept.
 *
 * <p>Images are evaluated whole: after a failure or cancel in the middle of one, the cache is cut
 * back to the last whole unit. A sequence is one {@link KvSequence} of a context: a {@link Chat}'s
 * has a context of its own, or shares one with the other chats of a {@link ChatGroup}; the
 * sequences of one context decode together, one batch per step ({@link BatchedContext}).
 *
 * <p>Not thread-safe, except {@link #cancel()}: one owner (a {@link Chat}) calls it at a time.
 */
final class Sequence implements AutoCloseable {
    /** Marks a position that belongs to an image in {@link #ids}. */
    private static final int IMAGE = -1;

    private final BatchedContext shared;
    private final KvSequence kv;
    private final BatchedContext.Work work;
    /** Whether this sequence owns (closes) the context. */
    private final boolean owner;
    /** The one token of {@link #append}, so that appending allocates nothing. */
    private final int[] one = new int[1];
    /** Token id at each held position, {@link #IMAGE} inside images; sized once to the context. */
    private final int[] ids;
    /** The images held, in position order. */
    private final List<HeldImage> images = new ArrayList<>();

    private int held;
    /**
     * The prompt {@link #reuse} cut the sequence for: what is held stays a prefix of it until a
     * token is appended or the sequence is cut otherwise (then null).
     */
    private Prompt reused;

    private record HeldImage(int start, Unit.Image image) {}

    /**
     * Progress of {@link #evaluate}: {@code done} of {@code total} positions to evaluate are evaluated.
     */
    interface Progress {
        void onPrefill(int done, int total);
    }

    /** A sequence over the one sequence of {@code ctx}, which it owns and closes. */
    Sequence(InferenceContext ctx) {
        this(new BatchedContext(ctx), 0, true);
    }

    /**
     * Sequence {@code index} of {@code shared}'s context; {@code owner}: this sequence closes the
     * context.
     */
    Sequence(BatchedContext shared, int index, boolean owner) {
        this.shared = shared;
        this.kv = shared.context().sequence(index);
        this.work = new BatchedContext.Work(kv);
        this.owner = owner;
        this.ids = new int[kv.capacity()];
    }

    /**
     * Starts an evaluation ({@link #evaluate}, then sampling and {@link #append}) that ends with
     * {@link #end()}: meanwhile other sequences of the context step together with this one. Clears
     * an earlier {@link #cancel()}.
     */
    void begin() {
        shared.resetCancel(work);
        shared.begin();
    }

    /** Ends what {@link #begin()} started. */
    void end() {
        shared.end();
    }

    /**
     * Whether {@link #save} writes a state that a chat of its own can restore: only a context of one
     * sequence does (llama.cpp's state records the context's sequence count).
     */
    boolean savable() {
        return shared.context().sequenceCount() == 1;
    }

    /** Positions held. */
    int positions() {
        return held;
    }

    /** Positions the context has room for. */
    int capacity() {
        return ids.length;
    }

    /**
     * Keeps the longest prefix of {@code prompt} that the cache holds and cuts the rest; the last
     * unit is always left to evaluate (its logits start the answer). {@link #evaluate} then
     * evaluates what remains.
     *
     * @return the positions kept
     * @throws Llava4jException {@code CONTEXT_FULL} if the prompt does not fit
     */
    int reuse(Prompt prompt) {
        if (prompt.positions() >= ids.length) {
            throw new Llava4jException(
                    Code.CONTEXT_FULL,
                    "the prompt needs " + prompt.positions() + " positions ("
                            + prompt.imagePositions() + " of them image embeddings) but the context holds " + ids.length
                            + ": use a larger context (--ctx) or fewer/smaller images");
        }
        int keep = Math.min(commonPrefix(prompt.units()), lastUnitStart(prompt));
        truncate(keep);
        reused = prompt;
        return keep;
    }

    /**
     * Evaluates the units of {@code prompt} after the positions held, which {@link #reuse} made a
     * prefix of it: token runs in batches, images whole.
     *
     * @param embeddings gives the floats of an image unit that names its image only, when it must be
     *     evaluated
     * @throws Llava4jException {@code CANCELLED} after {@link #cancel()} or when {@code cancelled}
     *     says so (the whole units evaluated until then stay held)
     */
    void evaluate(Prompt prompt, UnaryOperator<Unit.Image> embeddings, Progress progress, BooleanSupplier cancelled) {
        List<Unit> units = prompt.units();
        int keep = held;
        if (prompt != reused) {
            throw new IllegalStateException("evaluate() a prompt after reuse() made the sequence hold its prefix");
        }
        int total = prompt.positions() - keep;
        int pos = 0;
        int i = 0;
        // skip the units (or the part of a token run) already held
        while (i < units.size() && pos + units.get(i).positions() <= keep) {
            pos += units.get(i++).positions();
        }
        int offset = keep - pos;
        while (i < units.size()) {
            if (cancelled.getAsBoolean()) {
                throw new Llava4jException(Code.CANCELLED, "cancelled");
            }
            int base = held - keep;
            if (units.get(i) instanceof Unit.Image image) {
                evaluateImage(
                        image.embedding() != null ? image : embeddings.apply(image),
                        i == units.size() - 1,
                        done -> progress.onPrefill(base + done, total));
                i++;
            } else {
                // consecutive token runs go to llama.cpp together, so they share batches
                int j = i;
                int count = 0;
                while (j < units.size() && units.get(j) instanceof Unit.Tokens t) {
                    count += t.ids().length;
                    j++;
                }
                int[] run = new int[count - offset];
                int at = 0;
                for (int k = i; k < j; k++) {
                    int[] t = ((Unit.Tokens) units.get(k)).ids();
                    int from = k == i ? offset : 0;
                    System.arraycopy(t, from, run, at, t.length - from);
                    at += t.length - from;
                }
                evaluateTokens(run, done -> progress.onPrefill(base + done, total));
                i = j;
            }
            offset = 0;
        }
    }

    /**
     * Reads the logits of the last evaluated position in place (see {@link
     * InferenceContext#readLogits}); how a token is sampled.
     */
    int sample(ToIntFunction<FloatBuffer> sampler) {
        return shared.readLogits(kv, sampler);
    }

    /**
     * Evaluates one sampled token at the next position; allocates nothing.
     *
     * @throws Llava4jException {@code CONTEXT_FULL} if the context is full, {@code CANCELLED}
     */
    void append(int token) {
        one[0] = token;
        shared.decodeTokens(work, one, 0, 1, true);
        ids[held++] = token;
        reused = null;
    }

    /** Asks a running evaluation to stop (from any thread); other sequences of the context go on. */
    void cancel() {
        shared.cancel(work);
    }

    /** Drops everything held. */
    void clear() {
        truncate(0);
    }

    /** What the sequence holds, as units: token runs and images (without their floats). */
    List<Unit> units() {
        List<Unit> out = new ArrayList<>();
        int pos = 0;
        for (HeldImage h : images) {
            if (h.start() > pos) {
                out.add(new Unit.Tokens(Arrays.copyOfRange(ids, pos, h.start())));
            }
            out.add(h.image());
            pos = h.start() + h.image().positions();
        }
        if (held > pos) {
            out.add(new Unit.Tokens(Arrays.copyOfRange(ids, pos, held)));
        }
        return out;
    }

    /**
     * Writes the KV cache's state (llama.cpp's sequence state) to {@code out}; {@link #units()} says
     * what it holds.
     *
     * @return bytes written
     */
    long save(WritableByteChannel out) throws IOException {
        return shared.exclusive(() -> kv.saveState(out));
    }

    /**
     * Replaces what the sequence holds with a saved state of {@code size} bytes from {@code in},
     * which holds {@code units}. After a failure the sequence is empty.
     *
     * @throws Llava4jException {@code INVALID_FILE} if the state does not match the units or this
     *     context, {@code IO} if reading fails
     */
    void restore(List<Unit> units, ReadableByteChannel in, long size) {
        clear();
        int positions = Prompt.of(units).positions();
        if (positions > ids.length) {
            throw new Llava4jException(
                    Code.INVALID_FILE,
                    "the saved units take " + positions + " positions, more than this context's " + ids.length);
        }
        shared.exclusive(() -> kv.restoreState(in, size, positions));
        for (Unit u : units) {
            if (u instanceof Unit.Image image) {
                images.add(new HeldImage(held, image.named()));
                Arrays.fill(ids, held, held + image.positions(), IMAGE);
            } else {
                int[] t = ((Unit.Tokens) u).ids();
                System.arraycopy(t, 0, ids, held, t.length);
            }
            held += u.positions();
        }
    }

    /** Frees the context if this sequence owns it (idempotent); a shared one is left to its owner. */
    @Override
    public void close() {
        if (owner) {
            shared.close();
        }
    }

    /**
     * How many of {@code tokens} this sequence holds from position {@code at} on, counted from
     * their start (0 when {@code at} is not held).
     */
    int heldTokens(int at, int[] tokens) {
        int n = Math.min(tokens.length, held - at);
        for (int i = 0; i < n; i++) {
            if (ids[at + i] != tokens[i]) {
                return i;
            }
        }
        return Math.max(0, n);
    }

    /**
     * The positions of the image this sequence holds at position {@code at} if it is {@code key}'s
     * (a key fixes how many positions an image spans), else 0.
     */
    int heldImage(int at, EmbeddingKey key) {
        for (HeldImage h : images) {
            if (h.start() == at) {
                return h.image().key().equals(key) ? h.image().positions() : 0;
            }
            if (h.start() > at) {
                break;
            }
        }
        return 0;
    }

    /**
     * Positions of the longest prefix of {@code units} that this sequence holds, compared as {@link
     * Chat#reusablePositions} compares them ({@link HeldPrefix}).
     */
    private int commonPrefix(List<Unit> units) {
        HeldPrefix prefix = new HeldPrefix(this);
        prefix.units(units);
        return prefix.position();
    }

    /** Where the prompt's last unit starts: that unit is always evaluated (its logits start the answer). */
    private static int lastUnitStart(Prompt prompt) {
        List<Unit> units = prompt.units();
        if (units.isEmpty()) {
            return 0;
        }
        Unit last = units.get(units.size() - 1);
        return prompt.positions() - (last instanceof Unit.Tokens && last.positions() > 0 ? 1 : last.positions());
    }

    private void truncate(int position) {
        shared.exclusive(() -> kv.truncate(position));
        held = position;
        reused = null;
        images.removeIf(h -> h.start() >= position);
    }

    private void evaluateTokens(int[] run, IntConsumer progress) {
        int start = held;
        try {
            for (int done = 0; done < run.length; ) {
                int n = Math.min(shared.chunk(), run.length - done);
                shared.decodeTokens(work, run, done, n, done + n == run.length);
                done += n;
                progress.accept(done);
            }
        } finally {
            // whatever llama.cpp kept is held, also after a failure or cancel
            int done = kv.position() - start;
            System.arraycopy(run, 0, ids, start, done);
            held = start + done;
        }
    }

    private void evaluateImage(Unit.Image image, boolean last, IntConsumer progress) {
        int start = held;
        int count = image.positions();
        try {
            for (int done = 0; done < count; ) {
                int n = Math.min(shared.chunk(), count - done);
                shared.decodeEmbeddings(work, image.embedding().data(), done, n, last && done + n == count);
                done += n;
                progress.accept(done);
            }
        } catch (RuntimeException e) {
            // never half an image
            shared.exclusive(() -> kv.truncate(start));
            throw e;
        }
        images.add(new HeldImage(start, image.named()));
        Arrays.fill(ids, start, start + count, IMAGE);
        held = start + count;
    }
}
