package io.llava4j.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The compute thread runs every task on one thread, one at a time, and reports back as a call would. */
class ComputeThreadTest {
    @Test
    void tasksFromManyThreadsRunOnOneThreadOneAtATime() throws InterruptedException {
        Set<Thread> ranOn = ConcurrentHashMap.newKeySet();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger mostInside = new AtomicInteger();
        AtomicInteger runs = new AtomicInteger();
        ComputeThread.Task task = () -> {
            int now = inside.incrementAndGet();
            mostInside.accumulateAndGet(now, Math::max);
            ranOn.add(Thread.currentThread());
            Thread.yield();
            inside.decrementAndGet();
            return runs.incrementAndGet();
        };
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int k = 0; k < 200; k++) {
                    ComputeThread.run(task);
                }
            });
            t.start();
            callers.add(t);
        }
        start.countDown();
        for (Thread t : callers) {
            t.join();
        }
        assertEquals(1200, runs.get());
        assertEquals(1, ranOn.size(), "one thread ran every task");
        assertEquals(1, mostInside.get(), "tasks never overlapped");
        Thread compute = ranOn.iterator().next();
        assertFalse(callers.contains(compute));
        assertNotSame(Thread.currentThread(), compute);
    }

    @Test
    void returnsTheTaskStatusAndRethrowsItsFailure() {
        assertEquals(42, ComputeThread.run(() -> 42));
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> ComputeThread.run(() -> {
                    throw new IllegalStateException("from the task");
                }));
        assertEquals("from the task", e.getMessage());
        assertThrows(
                StackOverflowError.class,
                () -> ComputeThread.run(() -> {
                    throw new StackOverflowError();
                }));
        // still serving after a failure
        assertEquals(7, ComputeThread.run(() -> 7));
    }

    @Test
    void aNestedTaskRunsInlineOnTheComputeThread() {
        Thread[] threads = new Thread[2];
        int status = ComputeThread.run(() -> {
            threads[0] = Thread.currentThread();
            assertTrue(ComputeThread.isComputeThread());
            return ComputeThread.run(() -> {
                threads[1] = Thread.currentThread();
                return 5;
            });
        });
        assertEquals(5, status);
        assertSame(threads[0], threads[1]);
        assertFalse(ComputeThread.isComputeThread());
    }

    @Test
    void anInterruptWaitsForTheTaskAndIsKept() throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger status = new AtomicInteger();
        boolean[] interruptedAfter = new boolean[1];
        Thread caller = new Thread(() -> {
            status.set(ComputeThread.run(() -> {
                running.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    return -1;
                }
                return 3;
            }));
            interruptedAfter[0] = Thread.currentThread().isInterrupted();
        });
        caller.start();
        running.await();
        caller.interrupt();
        Thread.sleep(50);
        assertTrue(caller.isAlive(), "the caller waits for the task it handed over");
        release.countDown();
        caller.join();
        assertEquals(3, status.get());
        assertTrue(interruptedAfter[0], "the interrupt is kept for the caller");
    }
}
