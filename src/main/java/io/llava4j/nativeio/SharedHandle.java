package io.llava4j.nativeio;

import io.llava4j.Llava4jException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reference count on a native object that several Java objects and threads use at once (a
 * llama.cpp model: its owner, its contexts, its vocabulary). Every native call on the object runs
 * between {@link #acquire()} and {@link #release()}; the object is freed by whichever release
 * brings the count to zero, so no call can ever run on freed memory, whatever thread closes what.
 *
 * <p>The count starts at one: the owner's reference, given back when the owner is closed.
 * Long-lived dependents (a context of a model) hold a reference for their lifetime; short calls
 * hold one for the call. Acquiring after the count reached zero throws {@code CLOSED}: the count
 * never rises again from zero.
 *
 * <p>Thread-safe and lock-free: an acquire/release pair costs two atomic operations.
 */
public final class SharedHandle {
    private final String what;
    private final Runnable free;
    private final AtomicInteger references = new AtomicInteger(1);

    /**
     * @param what the object's description for messages, e.g. "LanguageModel llava.gguf"
     * @param free frees the native object; run once, by the last release
     */
    public SharedHandle(String what, Runnable free) {
        this.what = what;
        this.free = free;
    }

    /**
     * Takes a reference, keeping the native object alive until the matching {@link #release()}.
     *
     * @throws Llava4jException {@code CLOSED} if the object has already been freed
     */
    public void acquire() {
        while (true) {
            int n = references.get();
            if (n <= 0) {
                throw closed(what);
            }
            if (references.compareAndSet(n, n + 1)) {
                return;
            }
        }
    }

    /** Gives back a reference taken by {@link #acquire()} (or the owner's); the last one frees. */
    public void release() {
        int n = references.decrementAndGet();
        if (n == 0) {
            free.run();
        } else if (n < 0) {
            references.incrementAndGet();
            throw new IllegalStateException(what + ": released more often than acquired");
        }
    }

    /** Whether the native object has been freed. */
    public boolean isFreed() {
        return references.get() <= 0;
    }

    /** The exception every owner throws for a call after close. */
    public static Llava4jException closed(String what) {
        return new Llava4jException(Llava4jException.Code.CLOSED, what + " is closed");
    }
}
