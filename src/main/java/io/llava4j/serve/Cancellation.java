package io.llava4j.serve;

/**
 * Tells a running completion to stop, from any thread: the HTTP layer cancels when the client
 * goes away, the engine registers what cancelling means at each stage (leaving the queue, stopping
 * a chat). Actions run outside this object's lock, so they may take other locks.
 */
final class Cancellation {
    private boolean cancelled;
    private Runnable action;

    /** Cancels (idempotent) and runs the registered action, if any. */
    void cancel() {
        Runnable a;
        synchronized (this) {
            if (cancelled) {
                return;
            }
            cancelled = true;
            a = action;
        }
        if (a != null) {
            a.run();
        }
    }

    synchronized boolean isCancelled() {
        return cancelled;
    }

    /**
     * Makes {@code a} what {@link #cancel()} runs (replacing the previous action; null for none);
     * runs it at once if already cancelled.
     */
    void onCancel(Runnable a) {
        boolean now;
        synchronized (this) {
            action = a;
            now = cancelled && a != null;
        }
        if (now) {
            a.run();
        }
    }
}
