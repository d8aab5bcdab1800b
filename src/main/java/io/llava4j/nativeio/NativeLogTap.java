package io.llava4j.nativeio;

import java.util.Objects;
import java.util.function.BiConsumer;
import org.slf4j.event.Level;

/**
 * Shows the caller the complete llama.cpp/ggml log lines that native code writes on the caller's
 * own thread while the tap is open, whatever the SLF4J configuration. Native calls without a
 * progress callback (such as {@code llama_model_quantize}) report progress and their reason for
 * failing only in the log; a tap turns those lines into data.
 *
 * <p>Thread-confined: lines written by other threads (another model loading at the same time, or
 * native worker threads) never reach this tap. Taps do not nest: opening a second one on the same
 * thread replaces the first until it is closed. The lines still go to SLF4J as usual.
 */
public final class NativeLogTap implements AutoCloseable {
    private static final ThreadLocal<NativeLogTap> CURRENT = new ThreadLocal<>();

    private final BiConsumer<Level, String> sink;
    private final NativeLogTap previous;
    private final Thread owner;
    private boolean closed;

    private NativeLogTap(BiConsumer<Level, String> sink, NativeLogTap previous) {
        this.sink = sink;
        this.previous = previous;
        this.owner = Thread.currentThread();
    }

    /**
     * Opens a tap on the current thread. The sink receives the native level ({@code ERROR},
     * {@code WARN}, {@code INFO}, {@code DEBUG}) and one line without its newline; it runs inside the
     * native call, so it must be quick and must not throw.
     *
     * @return the tap; close it on the same thread (try-with-resources)
     */
    public static NativeLogTap open(BiConsumer<Level, String> sink) {
        NativeLibrary.ensureLoaded();
        NativeLogTap tap = new NativeLogTap(Objects.requireNonNull(sink, "sink"), CURRENT.get());
        CURRENT.set(tap);
        return tap;
    }

    /** The tap open on the current thread, or null. */
    static NativeLogTap current() {
        return CURRENT.get();
    }

    /** Delivers one line; a sink that throws loses the line rather than unwinding into native code. */
    void deliver(Level level, String line) {
        try {
            sink.accept(level, line);
        } catch (RuntimeException ignored) {
            // Never propagate into the native caller: the line is informational.
        }
    }

    /**
     * Closes the tap and restores the one it replaced; idempotent.
     *
     * @throws IllegalStateException when called from a thread other than the one that opened it
     */
    @Override
    public void close() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a NativeLogTap is closed on the thread that opened it");
        }
        if (!closed) {
            closed = true;
            if (CURRENT.get() == this) {
                if (previous == null) {
                    CURRENT.remove();
                } else {
                    CURRENT.set(previous);
                }
            }
        }
    }
}
