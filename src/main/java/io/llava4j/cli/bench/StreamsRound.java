package io.llava4j.cli.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** Runs one round of concurrent streams, each on its own thread, released at the same moment. */
final class StreamsRound {
    /** One stream: answers, noting each piece on {@code clock}, and returns the tokens it generated. */
    interface Stream {
        int run(int index, PieceClock clock);
    }

    private StreamsRound() {}

    /**
     * Starts {@code count} threads named {@code name-k}, releases them together, waits for all and
     * rethrows the first failure.
     *
     * @param maxTokens each stream's token limit (the clocks' capacity)
     */
    static StreamsSample run(int count, int maxTokens, String name, Stream stream) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        long[] begin = new long[count];
        PieceClock[] pieces = new PieceClock[count];
        long[] end = new long[count];
        int[] tokens = new int[count];
        RuntimeException[] failures = new RuntimeException[count];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int k = i;
            pieces[k] = new PieceClock(maxTokens + 8);
            Thread t = new Thread(
                    () -> {
                        try {
                            start.await();
                            begin[k] = System.nanoTime();
                            tokens[k] = stream.run(k, pieces[k]);
                            end[k] = System.nanoTime();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        } catch (RuntimeException e) {
                            failures[k] = e;
                        }
                    },
                    name + "-" + k);
            t.start();
            threads.add(t);
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        for (RuntimeException e : failures) {
            if (e != null) {
                throw e;
            }
        }
        return StreamsSample.of(begin, pieces, end, tokens);
    }
}
