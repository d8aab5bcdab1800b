package io.llava4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.llava4j.conversation.Chat;
import io.llava4j.conversation.GenerationListener;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.image.ChatImage;
import io.llava4j.image.RgbImage;
import io.llava4j.model.ContextOptions;
import io.llava4j.model.InferenceContext;
import io.llava4j.model.KvSequence;
import io.llava4j.model.LanguageModel;
import io.llava4j.model.Vocabulary;
import io.llava4j.sampling.SamplerConfig;
import io.llava4j.testmodels.TinyModels;
import io.llava4j.vision.VisionEncoder;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No native call on a freed handle, anywhere in the public API: after close, every public method of
 * every type that holds a pointer into a model, context or encoder throws {@code CLOSED}; calls
 * racing a close on another thread either complete or throw a typed exception. Surefire runs this
 * under {@code -Xcheck:jni}; a native crash would end the JVM and fail the build.
 */
class UseAfterCloseTest {
    /** Methods that are allowed to work after close: close itself (idempotent) and Object's. */
    private static final Set<String> ALWAYS_ALLOWED = Set.of("close", "toString", "equals", "hashCode");

    @TempDir
    static Path dir;

    static TinyModels.Pair pair;

    @BeforeAll
    static void writeModels() {
        pair = TinyModels.llava15(dir, 23);
    }

    private static ContextOptions small() {
        return ContextOptions.defaults().withContextLength(1024).withThreads(1);
    }

    /** The program from the bug report: it aborted the JVM in llama_tokenize. */
    @Test
    void vocabularyOfAClosedModelThrowsClosed() {
        LanguageModel m = LanguageModel.load(pair.lm());
        Vocabulary v = m.vocabulary();
        m.close();
        Llava4jException e = assertThrows(Llava4jException.class, () -> v.tokenize("Hello world", true, false));
        assertEquals(Llava4jException.Code.CLOSED, e.code());
    }

    /** A context keeps the native model, and with it the vocabulary, alive until it closes. */
    @Test
    void vocabularyLivesExactlyAsLongAsTheNativeModel() {
        LanguageModel m = LanguageModel.load(pair.lm());
        Vocabulary v = m.vocabulary();
        int[] before = v.tokenize("Hello world", true, false);
        InferenceContext ctx = m.newContext(small());
        m.close();
        assertEquals(
                Llava4jException.Code.CLOSED,
                assertThrows(Llava4jException.class, m::vocabulary).code());
        assertArrayEquals(before, v.tokenize("Hello world", true, false), "the context holds the model");
        ctx.close();
        assertEquals(
                Llava4jException.Code.CLOSED,
                assertThrows(Llava4jException.class, () -> v.tokenize("Hello world", true, false))
                        .code());
        assertEquals(
                Llava4jException.Code.CLOSED,
                assertThrows(Llava4jException.class, () -> v.piece(1)).code());
    }

    @Test
    void everyPublicMethodThrowsClosedAfterClose() throws Exception {
        LanguageModel lm = LanguageModel.load(pair.lm());
        Vocabulary vocab = lm.vocabulary();
        InferenceContext ctx = lm.newContext(small());
        ctx.decode(1);
        KvSequence kv = ctx.sequence(0);
        ctx.close();
        lm.close();

        VisionEncoder enc = VisionEncoder.load(pair.mmproj(), false);
        enc.close();

        LlavaModel model = LlavaModel.open(pair.lm(), pair.mmproj());
        Chat chat = model.newChat(small());
        chat.addUser("Hi");
        chat.generate(greedy(2), GenerationListener.none());
        chat.close();
        model.close();

        Map<String, Integer> checked = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        for (Object o : List.of(lm, vocab, ctx, kv, enc, model, chat)) {
            int n = 0;
            for (Method m : publicInstanceMethods(o.getClass())) {
                n++;
                Object[] args =
                        Arrays.stream(m.getParameterTypes()).map(this::argument).toArray();
                try {
                    m.invoke(o, args);
                    failures.add(o.getClass().getSimpleName() + "." + m.getName() + ": returned after close");
                } catch (InvocationTargetException e) {
                    if (!(e.getCause() instanceof Llava4jException le && le.code() == Llava4jException.Code.CLOSED)) {
                        failures.add(o.getClass().getSimpleName() + "." + m.getName() + ": " + e.getCause());
                    }
                }
            }
            checked.put(o.getClass().getSimpleName(), n);
        }
        System.out.println("UseAfterCloseTest: public methods checked after close: " + checked);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        assertTrue(checked.values().stream().allMatch(n -> n >= 5), "found the methods: " + checked);
    }

    /**
     * Threads hammer a model's vocabulary and metadata and a context's cancel while the main thread
     * closes the context and the model at a random moment: every call completes or throws {@code
     * CLOSED}; nothing reads freed memory. Each thread runs until it has seen {@code CLOSED}.
     */
    @Test
    void callsRacingCloseOfModelAndContextAreSafe() throws Exception {
        SplittableRandom random = new SplittableRandom(5);
        Set<String> outcomes = ConcurrentHashMap.newKeySet();
        for (int round = 0; round < 6; round++) {
            LanguageModel lm = LanguageModel.load(pair.lm());
            Vocabulary vocab = lm.vocabulary();
            InferenceContext ctx = lm.newContext(small());
            AtomicReference<Throwable> unexpected = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(3);
            List<Thread> threads = List.of(
                    racer(started, unexpected, outcomes, "tokenize", () -> vocab.tokenize("Hello, world!", true, true)),
                    racer(started, unexpected, outcomes, "metadata", () -> lm.metadata("general.architecture")),
                    racer(started, unexpected, outcomes, "cancel", ctx::cancel));
            threads.forEach(Thread::start);
            started.await();
            Thread.sleep(random.nextInt(4));
            if (random.nextBoolean()) {
                ctx.close();
                lm.close();
            } else {
                lm.close();
                ctx.close();
            }
            for (Thread t : threads) {
                t.join();
            }
            if (unexpected.get() != null) {
                throw new AssertionError("round " + round, unexpected.get());
            }
        }
        System.out.println("UseAfterCloseTest: outcomes seen " + new TreeSet<>(outcomes));
        assertTrue(outcomes.containsAll(Set.of("tokenize:CLOSED", "metadata:CLOSED", "cancel:CLOSED")), "" + outcomes);
        assertTrue(outcomes.containsAll(Set.of("tokenize:ok", "metadata:ok", "cancel:ok")), "" + outcomes);
    }

    /**
     * A generation and an image encode run while another thread closes their chat or model: close
     * either waits (the model, for an encode in flight) or refuses with {@link IllegalStateException}
     * (a chat while it generates), and the running call ends normally or with a typed exception.
     */
    @Test
    void closeDuringGenerationAndEncodingIsRefusedOrWaitsNeverCrashes() throws Exception {
        byte[] rgb = new byte[64 * 48 * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 7 % 251);
        }
        ChatImage image = ChatImage.of(new RgbImage(64, 48, rgb), null);
        for (int round = 0; round < 4; round++) {
            LlavaModel model = LlavaModel.open(pair.lm(), pair.mmproj());
            Chat chat = model.newChat(small());
            chat.addUser("What is this?", List.of(image));
            AtomicReference<Throwable> generateOutcome = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(1);
            Thread worker = new Thread(() -> {
                started.countDown();
                try {
                    chat.generate(greedy(24), GenerationListener.none());
                } catch (Throwable t) {
                    generateOutcome.set(t);
                }
            });
            worker.start();
            started.await();
            Thread.sleep(round * 15L);
            try {
                if (round % 2 == 0) {
                    chat.close();
                } else {
                    model.close(); // waits for an encode in flight, never frees under it
                }
            } catch (IllegalStateException refused) {
                // the chat is generating: documented, and nothing was freed
            }
            worker.join();
            Throwable t = generateOutcome.get();
            if (t != null && !(t instanceof Llava4jException)) {
                fail("generate ended with " + t, t);
            }
            try {
                chat.cancel();
            } catch (Llava4jException closed) {
                // generation had ended before the close above, which then succeeded
                assertEquals(Llava4jException.Code.CLOSED, closed.code());
            }
            model.close();
            try {
                chat.close();
            } catch (IllegalStateException e) {
                fail("the chat is idle, close must succeed", e);
            }
        }
    }

    /** A thread calling {@code call} until it throws {@code CLOSED} (or, for 60 s, records a failure). */
    private static Thread racer(
            CountDownLatch started,
            AtomicReference<Throwable> unexpected,
            Set<String> outcomes,
            String name,
            Runnable call) {
        return new Thread(
                () -> {
                    started.countDown();
                    long deadline = System.nanoTime() + 60_000_000_000L;
                    while (System.nanoTime() < deadline) {
                        try {
                            call.run();
                            outcomes.add(name + ":ok");
                        } catch (Llava4jException e) {
                            if (e.code() != Llava4jException.Code.CLOSED) {
                                unexpected.compareAndSet(null, e);
                            }
                            outcomes.add(name + ":CLOSED");
                            return;
                        } catch (Throwable t) {
                            unexpected.compareAndSet(null, t);
                            return;
                        }
                    }
                    unexpected.compareAndSet(null, new AssertionError(name + " never saw CLOSED"));
                },
                "racer-" + name);
    }

    private static GenerationSettings greedy(int n) {
        return GenerationSettings.defaults().withSampler(SamplerConfig.greedy()).withMaxTokens(n);
    }

    private static List<Method> publicInstanceMethods(Class<?> type) {
        List<Method> out = new ArrayList<>();
        for (Method m : type.getMethods()) {
            if (m.getDeclaringClass() == Object.class
                    || Modifier.isStatic(m.getModifiers())
                    || m.isSynthetic()
                    || ALWAYS_ALLOWED.contains(m.getName())) {
                continue;
            }
            out.add(m);
        }
        out.sort(Comparator.comparing(Method::toString));
        return out;
    }

    /**
     * A well-formed argument of the type, so that a method fails for being closed and not for its
     * arguments: zeros, empty arrays and lists, a path in the test folder, "x", and for other types
     * their {@code defaults()} when they have one.
     */
    private Object argument(Class<?> type) {
        if (type == int.class) {
            return 0;
        } else if (type == long.class) {
            return 0L;
        } else if (type == boolean.class) {
            return false;
        } else if (type == float.class) {
            return 0f;
        } else if (type == double.class) {
            return 0d;
        } else if (type.isArray()) {
            return Array.newInstance(type.getComponentType(), 0);
        } else if (type == String.class) {
            return "x";
        } else if (type == Path.class) {
            return dir.resolve("after-close.out");
        } else if (type == List.class) {
            return List.of();
        }
        try {
            return type.getMethod("defaults").invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
