package io.llava4j.nativeio;

import io.llava4j.Llava4jException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Guards a native handle against use after close and against concurrent use: one thread at a time
 * may be inside a native call, and {@link #close()} while a call is running throws instead of
 * freeing memory under it.
 *
 * <p>Usage: {@code guard.enter(); try { native call } finally { guard.exit(); }}. Calls from the
 * thread already inside (re-entrant helpers) are allowed.
 */
public final class CallGuard {
    private static final Thread CLOSED = new Thread("closed");

    private final String what;
    private final AtomicReference<Thread> owner = new AtomicReference<>();
    private int depth;

    /** @param what the handle's description for messages, e.g. "InferenceContext" */
    public CallGuard(String what) {
        this.what = what;
    }

    /**
     * Marks the current thread as inside a native call.
     *
     * @throws Llava4jException {@code CLOSED} if closed, {@code ILLEGAL_STATE} if in use by another thread
     */
    public void enter() {
        Thread me = Thread.currentThread();
        if (owner.get() == me) {
            depth++;
            return;
        }
        while (!owner.compareAndSet(null, me)) {
            Thread other = owner.get();
            if (other == CLOSED) {
                throw SharedHandle.closed(what);
            }
            if (other != null) {
                throw new Llava4jException(
                        Llava4jException.Code.ILLEGAL_STATE,
                        what + " is in use by thread '" + other.getName()
                                + "'; it is not thread-safe (use one per thread)");
            }
            // the other thread left between our attempt and our look: try again
        }
        depth = 1;
    }

    /** Leaves the native call entered by {@link #enter()} on this thread. */
    public void exit() {
        if (owner.get() == Thread.currentThread() && --depth == 0) {
            owner.set(null);
        }
    }

    /**
     * Throws {@code CLOSED} if closed. Does not mark a call in flight, so it protects only calls that
     * touch no native memory; native calls go between {@link #enter()} and {@link #exit()}.
     */
    public void checkOpen() {
        if (owner.get() == CLOSED) {
            throw SharedHandle.closed(what);
        }
    }

    /** Whether {@link #close()} has succeeded. */
    public boolean isClosed() {
        return owner.get() == CLOSED;
    }

    /**
     * Marks the handle closed.
     *
     * @return true the first time, false if already closed (close is idempotent)
     * @throws IllegalStateException if a native call is running on another thread
     */
    public boolean close() {
        while (true) {
            Thread current = owner.get();
            if (current == CLOSED) {
                return false;
            }
            if (current != null) {
                throw new IllegalStateException(what + " cannot be closed while thread '" + current.getName()
                        + "' is inside a native call; cancel or wait for it first");
            }
            if (owner.compareAndSet(null, CLOSED)) {
                return true;
            }
        }
    }
}
