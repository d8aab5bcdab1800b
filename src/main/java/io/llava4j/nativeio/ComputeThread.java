package io.llava4j.nativeio;

import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one thread of this process that runs ggml graph computations: every {@code llama_decode} and
 * every CLIP encode is handed to it, and the calling thread waits.
 *
 * <p>Why: ggml's CPU backend is built with OpenMP. The thread that starts a computation becomes the
 * master of an OpenMP team, and libgomp keeps that team's worker threads for as long as the master
 * lives. libgomp counts all of them, and once it manages more threads than the machine has CPUs it
 * stops spinning at barriers and sleeps in the kernel instead (its "throttled" spin count). A graph
 * meets a barrier at most of its nodes, so every token then pays hundreds of sleeps and wake-ups. A
 * server whose requests decode on their own threads, or a program that prefills on one thread and
 * generates on another, would leave a team behind each. Measured on 2 cores (Qwen-0.5B shape, Q4_K_M,
 * one token per decode): 27 ms per token from the thread that had always decoded, 43 ms from a
 * second thread. With one computing thread there is one team, as in llama.cpp's own tools.
 *
 * <p>The hand-over allocates nothing: callers pass a {@link Task} they keep (a field), and
 * concurrent callers are served one after the other, in turn. A task run from this thread itself
 * (nested) runs directly. GPU backends gain nothing from it, and lose only the overlap of two
 * models' computations.
 */
public final class ComputeThread {
    /** A computation: runs on the compute thread and returns a status (llama.cpp's, or the shim's). */
    @FunctionalInterface
    public interface Task {
        int run();
    }

    private static final ComputeThread SHARED = new ComputeThread();

    /** Serves callers one at a time; fair, so a stream of decodes cannot starve an encode. */
    private final ReentrantLock callers = new ReentrantLock(true);

    private final Thread thread;

    // The hand-over, written by the caller holding {@link #callers} before it publishes {@link #task},
    // read by the compute thread after it sees the task; {@link #done} publishes the result back.
    private volatile Task task;
    private volatile boolean done;
    private Thread caller;
    private int status;
    private Throwable failure;

    private ComputeThread() {
        thread = new Thread(this::serve, "llava4j-compute");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Runs {@code task} on the compute thread and waits for it (uninterruptibly: native code cannot
     * be abandoned halfway; an interrupt is kept for the caller).
     *
     * @return the task's status
     * @throws RuntimeException or {@link Error} whatever the task threw
     */
    public static int run(Task task) {
        return SHARED.call(task);
    }

    /** Whether the current thread is the compute thread. */
    public static boolean isComputeThread() {
        return Thread.currentThread() == SHARED.thread;
    }

    private int call(Task t) {
        if (Thread.currentThread() == thread) {
            return t.run();
        }
        callers.lock();
        try {
            caller = Thread.currentThread();
            failure = null;
            done = false;
            task = t;
            LockSupport.unpark(thread);
            boolean interrupted = false;
            while (!done) {
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            Throwable f = failure;
            failure = null;
            caller = null;
            if (f instanceof RuntimeException e) {
                throw e;
            }
            if (f instanceof Error e) {
                throw e;
            }
            return status;
        } finally {
            callers.unlock();
        }
    }

    private void serve() {
        while (true) {
            Task t = task;
            if (t == null) {
                LockSupport.park(this);
                Thread.interrupted(); // nothing interrupts this thread; a stray interrupt must not make park spin
                continue;
            }
            task = null;
            try {
                status = t.run();
            } catch (Throwable e) {
                failure = e;
            }
            Thread waiting = caller;
            done = true;
            LockSupport.unpark(waiting);
        }
    }
}
