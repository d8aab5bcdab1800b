package io.llava4j.cli;

import static io.llava4j.cli.ChatFixture.QUESTION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jline.terminal.impl.ExternalTerminal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code llava4j chat} on a virtual terminal (JLine's {@link ExternalTerminal}: a line discipline
 * that turns Ctrl-C into SIGINT as a pty does): typed keys go in, stdout, stderr and what the
 * terminal shows are kept apart. Covers line editing history, Ctrl-C during an answer and at the
 * prompt, and Ctrl-D.
 */
class ChatTerminalTest {
    /** How long any expected output may take to appear before the test gives up (hang guard only). */
    private static final long PATIENCE_MS = 120_000;

    @TempDir
    static Path dir;

    static ChatFixture f;

    private PipedOutputStream keys;
    private ByteArrayOutputStream screen;
    private StringWriter out;
    private StringWriter err;
    private CompletableFuture<Integer> session;

    @BeforeAll
    static void setUp() throws IOException {
        f = new ChatFixture(dir);
    }

    private void start(String... extra) throws IOException {
        keys = new PipedOutputStream();
        PipedInputStream typed = new PipedInputStream(keys, 1 << 16);
        screen = new ByteArrayOutputStream();
        ExternalTerminal terminal = new ExternalTerminal("virtual", "xterm", typed, screen, StandardCharsets.UTF_8);
        CommandLine cmd = Main.commandLine();
        ChatCommand chat = cmd.getSubcommands().get("chat").getCommand();
        chat.terminal = terminal;
        out = new StringWriter();
        err = new StringWriter();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        List<String> args = new ArrayList<>(List.of("chat"));
        args.addAll(f.modelArgs(extra));
        session = CompletableFuture.supplyAsync(() -> cmd.execute(args.toArray(String[]::new)));
        awaitThat(() -> screenText().contains("> "), "the prompt");
    }

    @AfterEach
    void stop() throws IOException {
        if (session != null && !session.isDone()) {
            keys.close(); // end of input ends a session that a failed test left running
        }
    }

    private void type(String text) throws IOException {
        keys.write(text.getBytes(StandardCharsets.UTF_8));
        keys.flush();
    }

    private String screenText() {
        synchronized (screen) {
            return screen.toString(StandardCharsets.UTF_8);
        }
    }

    private void awaitThat(Supplier<Boolean> condition, String what) {
        // nanoTime, not the wall clock: an NTP step of the clock must not end (or stretch) the wait
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PATIENCE_MS);
        while (!condition.get()) {
            if (session.isDone() || System.nanoTime() - deadline > 0) {
                throw new AssertionError("waiting for " + what + "; stdout:\n" + out + "\nstderr:\n" + err
                        + "\nscreen:\n" + screenText());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private int exitCode() throws Exception {
        return session.get(PATIENCE_MS, TimeUnit.MILLISECONDS);
    }

    @Test
    void questionsFromTheKeyboardAndHistoryRecall() throws Exception {
        String expected = f.run("--image", f.square.toString(), "-p", QUESTION, "--temp", "0", "-n", "8");
        String twice = f.chatPiped(
                        "/image " + f.square + "\n" + QUESTION + "\n" + QUESTION + "\n", "--temp", "0", "-n", "8")
                .out();
        start("--temp", "0", "-n", "8");
        type("/image " + f.square + "\r");
        awaitThat(() -> err.toString().contains("image 1 (336x336)"), "the image");
        type(QUESTION + "\r");
        awaitThat(() -> out.toString().equals(expected), "the first answer");
        // Up, Up: back past "What is..." to "/image ...", Down: forward to the question, Enter: asks it again
        type("\033[A\033[A\033[B\r");
        awaitThat(() -> out.toString().equals(twice), "the same question again, recalled from history");
        type("/stats\r");
        awaitThat(() -> err.toString().contains("session: 2 answers"), "the statistics");
        type("/quit\r");
        assertEquals(0, exitCode(), err.toString());
        assertEquals(twice, out.toString(), "stdout holds only the answers");
        assertTrue(screenText().contains(QUESTION), "the typed line is echoed on the terminal: " + screenText());
        assertFalse(out.toString().contains("> "), out.toString());
    }

    @Test
    void ctrlCStopsAnAnswerAndTheConversationGoesOn() throws Exception {
        start("--temp", "0", "-n", "4", "--ctx", "4096");
        type("/set max-tokens 3000\r");
        awaitThat(() -> err.toString().contains("max-tokens 3000"), "the setting");
        type("Tell me a very long story.\r");
        awaitThat(() -> out.toString().length() > 20, "the answer to start streaming");
        type("\003");
        awaitThat(() -> err.toString().contains("[answer stopped"), "the answer to stop");
        type("/stats\r");
        awaitThat(() -> err.toString().contains("cancelled"), "the statistics");
        type("/set max-tokens 4\r");
        type("/image " + f.square + "\r");
        type(QUESTION + "\r");
        type("/stats\r");
        awaitThat(() -> err.toString().contains("session: 2 answers"), "the next answer's statistics");
        assertFalse(err.toString().contains("error:"), err.toString());
        assertTrue(
                err.toString().matches("(?s).*last answer: prompt \\d+ positions \\(576 image, [1-9]\\d* reused.*"),
                "the next question builds on the stopped answer's conversation: " + err);
        type("\004"); // Ctrl-D on an empty line
        assertEquals(0, exitCode(), err.toString());
    }

    @Test
    void ctrlCAtThePromptExitsCleanly() throws Exception {
        start("--temp", "0", "-n", "2");
        type("half a que");
        awaitThat(() -> screenText().contains("half a que"), "the echo");
        type("\003");
        assertEquals(0, exitCode(), err.toString());
        assertEquals("", out.toString());
    }
}
