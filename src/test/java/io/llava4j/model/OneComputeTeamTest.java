package io.llava4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.llava4j.testmodels.TinyModels;
import io.llava4j.vision.VisionEncoder;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression: ggml's CPU backend is built with OpenMP, and a thread that starts a graph computation
 * gets an OpenMP team of worker threads that lives as long as it does. Once libgomp manages more
 * threads than there are CPUs it sleeps at every barrier instead of spinning, and a token took 43 ms
 * instead of 27 on 2 cores when a second thread decoded. Decodes and image encodes from any number
 * of threads must therefore leave workers behind none of them.
 *
 * <p>Observed through Linux's thread names: a new thread starts with its creator's name, the JVM
 * names its threads, so an OpenMP worker carries the name of the thread whose team it joined.
 */
class OneComputeTeamTest {
    @TempDir
    static Path dir;

    @Test
    void decodesAndEncodesFromManyThreadsLeaveNoWorkersBehindThem() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "needs Linux's /proc");
        TinyModels.Pair pair = TinyModels.llava15(dir, 7);
        ContextOptions options =
                ContextOptions.defaults().withContextLength(128).withThreads(2);
        try (LanguageModel lm = LanguageModel.load(pair.lm());
                VisionEncoder clip = VisionEncoder.load(pair.mmproj(), false)) {
            int side = clip.imageSize();
            float[] pixels = new float[side * side * 3];
            int callers = 3;
            CountDownLatch done = new CountDownLatch(callers);
            CountDownLatch release = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            Throwable[] failure = new Throwable[1];
            for (int i = 0; i < callers; i++) {
                int k = i;
                Thread t = new Thread(
                        () -> {
                            try (InferenceContext ctx = lm.newContext(options)) {
                                int[] ids = lm.vocabulary().tokenize("a cat on a mat", true, false);
                                ctx.decode(ids, 0, ids.length);
                                ctx.decode(ids[1]);
                                if (k == 0) {
                                    clip.encode(pixels, side, side, 2);
                                }
                            } catch (Throwable e) {
                                failure[0] = e;
                            } finally {
                                done.countDown();
                            }
                            // stay alive: a team lives as long as its thread
                            try {
                                release.await();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "decoder-" + i);
                t.start();
                threads.add(t);
            }
            done.await();
            try {
                if (failure[0] != null) {
                    throw new AssertionError("a decode failed", failure[0]);
                }
                for (int i = 0; i < callers; i++) {
                    assertEquals(1, threadsNamed("decoder-" + i), "decoder-" + i + " has no OpenMP workers");
                }
                int compute = threadsNamed("llava4j-compute");
                assertTrue(
                        compute >= 1 && compute <= options.threads(),
                        "one team: the compute thread and at most threads-1 workers, got " + compute);
            } finally {
                release.countDown();
                for (Thread t : threads) {
                    t.join();
                }
            }
        }
    }

    private static int threadsNamed(String name) throws IOException {
        int n = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                try {
                    if (Files.readString(t.resolve("comm")).strip().equals(name)) {
                        n++;
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return n;
    }
}
