package io.llava4j.cli;

import static io.llava4j.cli.ChatFixture.QUESTION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.template.ChatTemplate;
import io.llava4j.template.Message;
import io.llava4j.testmodels.NativeTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code llava4j chat} with piped stdin (the scripting mode) on a generated LLaVA-1.5 pair: greedy
 * answers are compared with {@code llava4j run} and, for a follow-up, with llama.cpp evaluating
 * the whole two-turn prompt from scratch.
 */
class ChatCommandTest {
    @TempDir
    static Path dir;

    static ChatFixture f;

    @BeforeAll
    static void setUp() throws IOException {
        f = new ChatFixture(dir);
    }

    @Test
    void pipedQuestionAboutAnImageAnswersLikeRun() {
        String expected = f.run("--image", f.square.toString(), "-p", QUESTION, "--temp", "0", "-n", "12");
        CliRunner.Result r =
                f.chatPiped("/image " + f.square + "\n" + QUESTION + "\n/quit\n", "--temp", "0", "-n", "12");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(expected, r.out(), "stdout holds exactly the answer");
        assertTrue(r.err().contains("image 1 (336x336) attached to the next question"), r.err());
        assertTrue(r.err().contains("llava4j: template llava_v1"), r.err());
        assertFalse(r.err().contains("> "), "no prompt on piped input: " + r.err());
    }

    /**
     * The follow-up is answered from the KV cache of the first turn; llama-mtmd-cli evaluates the
     * full two-turn llava_v1 prompt (rendered by a Jinja template that holds the first answer) from
     * nothing, and must say the same.
     */
    @Test
    void followUpEqualsAFreshEvaluationOfTheTwoTurnPrompt() {
        String q2 = "And what colour is it?";
        // an F32 KV cache on both sides: the kept cache and the one-pass evaluation then differ only by
        // f32 rounding (see ChatTest.context()), and --kv-type f32 reaches llama.cpp like -ctk/-ctv f32
        String first =
                f.run("--image", f.square.toString(), "-p", QUESTION, "--temp", "0", "-n", "10", "--kv-type", "f32");
        CliRunner.Result r = f.chatPiped(
                QUESTION + "\n" + q2 + "\n",
                "--image",
                f.square.toString(),
                "--temp",
                "0",
                "-n",
                "10",
                "--kv-type",
                "f32");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith(first), "first answer as from run:\n" + r.out() + "\nvs\n" + first);
        String second = r.out().substring(first.length());
        assertTrue(second.endsWith("\n"), second);
        String a1 = first.substring(0, first.length() - 1);

        String prompt = ChatTemplate.forName("llava_v1")
                .render(null, List.of(Message.user("<image>\n" + QUESTION), Message.assistant(a1), Message.user(q2)));
        String before = prompt.substring(0, prompt.indexOf("<image>"));
        String after = prompt.substring(prompt.indexOf("<image>") + "<image>".length());
        String jinja = "{{- '" + jinjaString(before) + "' -}}{{- messages[0]['content'] -}}{{- '" + jinjaString(after)
                + "' -}}";
        NativeTools.Result ref = NativeTools.runToEnd(
                "llama-mtmd-cli",
                "-m",
                f.pair.lm().toString(),
                "--mmproj",
                f.pair.mmproj().toString(),
                "--image",
                f.square.toString(),
                "-p",
                "<__media__>",
                "-n",
                "10",
                "--temp",
                "0",
                "-c",
                "2048",
                "-t",
                "2",
                "-ctk",
                "f32",
                "-ctv",
                "f32",
                "--jinja",
                "--chat-template",
                jinja);
        assertEquals(0, ref.exitCode(), ref.stderr());
        String expected = new String(ref.stdout(), StandardCharsets.UTF_8).strip();
        assertFalse(expected.isEmpty(), "llama-mtmd-cli generated nothing: " + ref.stderr());
        assertEquals(expected, second.strip());
    }

    @Test
    void aFullContextDropsTheOldestTurnsAndTheChatGoesOn() {
        // one image takes 576 of the 1024 positions: the second image's question drops the first turn
        CliRunner.Result r = f.chatPiped(
                "/image " + f.square + "\n" + QUESTION + "\n/image " + f.square + "\nAnd now?\n/quit\n",
                "--temp",
                "0",
                "-n",
                "4",
                "--ctx",
                "1024");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("[the context was full: the oldest 2 turns were dropped]"), r.err());
    }

    @Test
    void saveAndLoadResumeTheConversationWithoutEvaluatingItAgain() {
        Path saved = dir.resolve("session.chat");
        String q2 = "And what colour is it?";
        CliRunner.Result whole =
                f.chatPiped(QUESTION + "\n" + q2 + "\n", "--image", f.square.toString(), "--temp", "0", "-n", "10");
        assertEquals(0, whole.exitCode(), whole.err());
        CliRunner.Result first = f.chatPiped(
                QUESTION + "\n/set max-tokens 10\n/save " + saved + "\n",
                "--image",
                f.square.toString(),
                "--temp",
                "0",
                "-n",
                "10");
        assertEquals(0, first.exitCode(), first.err());
        assertTrue(first.err().contains("saved 2 turns"), first.err());
        CliRunner.Result resumed = f.chatPiped("/load " + saved + "\n" + q2 + "\n/stats\n", "--temp", "0");
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(resumed.err().contains("loaded 2 turns"), resumed.err());
        assertEquals(whole.out(), first.out() + resumed.out(), "the resumed session answers as the unbroken one");
        CliRunner.Result missing =
                f.chatPiped("/load " + dir.resolve("nope.chat") + "\n" + QUESTION + "\n", "--temp", "0", "-n", "2");
        assertEquals(1, missing.exitCode(), "a failed line makes a piped session exit 1");
        assertTrue(missing.err().contains("nope.chat"), missing.err());
        assertFalse(missing.out().isEmpty(), "the session went on after the failed /load");
    }

    private static String jinjaString(String s) {
        return s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n");
    }

    @Test
    void badInputIsReportedAndTheSessionGoesOn() {
        String expected = f.run("--image", f.square.toString(), "-p", QUESTION, "--temp", "0", "-n", "4");
        String script = String.join(
                        "\n",
                        "/stats",
                        "/image " + dir.resolve("missing.png"),
                        "/image " + f.broken,
                        "/image",
                        "/frobnicate now",
                        "/set temp warm",
                        "/set warmth 1",
                        "/set top-p 2",
                        "/set temp 0",
                        "/set max-tokens 4",
                        "/set",
                        "/image " + f.square,
                        QUESTION,
                        "/stats",
                        "/help",
                        "/quit",
                        "this line is never read")
                + "\n";
        CliRunner.Result r = f.chatPiped(script, "--temp", "0.9", "-n", "50");
        assertEquals(1, r.exitCode(), "failed lines make a piped session exit 1: " + r.err());
        assertEquals(expected, r.out(), "only the one answer, as if the failed lines had not been typed");
        String err = r.err();
        assertTrue(err.contains("no answers yet"), err);
        assertTrue(err.contains("missing.png"), err);
        assertTrue(err.contains("broken.jpg"), err);
        assertTrue(err.contains("usage: /image PATH|URL"), err);
        assertTrue(err.contains("unknown command /frobnicate"), err);
        assertTrue(err.contains("temp must be a number, got 'warm'"), err);
        assertTrue(err.contains("unknown setting 'warmth'"), err);
        assertTrue(err.contains("topP"), "the range error names the setting: " + err);
        assertTrue(err.contains("temp 0.0, top-k 50, top-p 1.0, min-p 0.0, repeat-penalty 1.0"), err);
        assertTrue(err.contains("max-tokens 4"), err);
        assertTrue(err.contains("image 1 (336x336)"), "the failed /image lines attached nothing: " + err);
        assertTrue(err.matches("(?s).*last answer: prompt \\d+ positions \\(576 image, 0 reused.*"), err);
        assertTrue(err.contains("session: 1 answers"), err);
        assertTrue(err.contains("/image PATH|URL   attach"), "help text: " + err);
        assertTrue(err.contains("7 input line(s) failed"), err);
    }

    @Test
    void clearStartsOverAndSystemChangesThePrompt() {
        String plain = f.run("--image", f.square.toString(), "-p", QUESTION, "--temp", "0", "-n", "6");
        String terse = f.run(
                "--image",
                f.square.toString(),
                "-p",
                QUESTION,
                "--temp",
                "0",
                "-n",
                "6",
                "--system",
                "Answer in one word.");
        assertNotEquals(plain, terse, "the system prompt must matter for this test to mean anything");
        String script = String.join(
                        "\n",
                        "/image " + f.square,
                        QUESTION,
                        "/clear",
                        "/image " + f.square,
                        QUESTION,
                        "/clear",
                        "/system Answer in one word.",
                        "/image " + f.square,
                        QUESTION)
                + "\n";
        CliRunner.Result r = f.chatPiped(script, "--temp", "0", "-n", "6");
        assertEquals(0, r.exitCode(), "end of input ends the session cleanly: " + r.err());
        assertEquals(plain + plain + terse, r.out());
        assertTrue(r.err().contains("conversation cleared"), r.err());
    }

    @Test
    void severalImagesGoWithTheNextQuestionOnly() {
        String script = String.join(
                        "\n",
                        "/image " + f.square,
                        "/image " + f.stripes,
                        "<image> Which one is this?", // one marker for two images: refused, nothing enters the chat
                        "/stats",
                        "What differs?", // the two images are still attached
                        "/stats",
                        QUESTION,
                        "/stats")
                + "\n";
        CliRunner.Result r = f.chatPiped(script, "--temp", "0", "-n", "4");
        assertEquals(1, r.exitCode(), r.err());
        String err = r.err();
        assertTrue(err.contains("image 2 (336x336)"), err);
        assertTrue(err.contains("1 <image> markers for 2 images"), err);
        assertTrue(err.indexOf("no answers yet") > err.indexOf("markers for 2 images"), "nothing was answered: " + err);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                        "last answer: prompt \\d+ positions \\((\\d+) image, (\\d+) reused")
                .matcher(err);
        assertTrue(m.find(), err);
        int twoImages = Integer.parseInt(m.group(1));
        assertTrue(twoImages >= 2 * 576, "both images in the first prompt: " + err);
        assertEquals("0", m.group(2));
        assertTrue(m.find(), err);
        assertEquals(twoImages, Integer.parseInt(m.group(1)), "the follow-up adds no image: " + err);
        assertTrue(Integer.parseInt(m.group(2)) > twoImages, "and reuses the first turn: " + err);
        assertEquals(2, r.out().split("\n", -1).length - 1, "two answers: " + r.out());
    }

    /** A question that cannot be answered is taken back whole: the session answers the next one. */
    @Test
    void aQuestionThatDoesNotFitIsTakenBack() {
        String hello = f.run("-p", "Say hello.", "--temp", "0", "-n", "4", "--ctx", "256");
        String script =
                String.join("\n", "Say hello.", "/image " + f.square, QUESTION, "/clear", "Say hello.", "/stats")
                        + "\n";
        CliRunner.Result r = f.chatPiped(script, "--temp", "0", "-n", "4", "--ctx", "256");
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.err().contains("context holds 256"), r.err());
        assertTrue(r.err().contains("conversation cleared (and 1 attached image(s))"), r.err());
        assertEquals(hello + hello, r.out(), "the same answer before and after the failed question");
        assertTrue(r.err().contains("session: 2 answers"), r.err());
    }

    @Test
    void samplingOptionsAndSetChangeTheAnswer() {
        CliRunner.Result a = f.chatPiped(
                "/image " + f.square + "\n" + QUESTION + "\n",
                "--temp",
                "1.5",
                "--top-k",
                "0",
                "--seed",
                "7",
                "-n",
                "12");
        CliRunner.Result b = f.chatPiped(
                "/set seed 8\n/image " + f.square + "\n" + QUESTION + "\n",
                "--temp",
                "1.5",
                "--top-k",
                "0",
                "--seed",
                "7",
                "-n",
                "12");
        CliRunner.Result c = f.chatPiped(
                "/image " + f.square + "\n" + QUESTION + "\n",
                "--temp",
                "1.5",
                "--top-k",
                "0",
                "--seed",
                "8",
                "-n",
                "12");
        assertEquals(0, a.exitCode(), a.err());
        assertTrue(a.err().contains("seed 7"), a.err());
        assertNotEquals(a.out(), b.out(), "/set seed 8 changed the draw");
        assertEquals(c.out(), b.out(), "/set seed 8 is the same as --seed 8");
    }

    @Test
    void imageWithoutMmprojIsAUsageErrorAndUnreadableImageFailsBeforeLoading() {
        CliRunner.Result usage = CliRunner.run("chat", "-m", f.pair.lm().toString(), "--image", f.square.toString());
        assertEquals(2, usage.exitCode());
        assertTrue(usage.err().contains("--mmproj"), usage.err());
        CliRunner.Result bad = f.chatPiped("", "--image", f.broken.toString());
        assertEquals(1, bad.exitCode());
        assertTrue(bad.err().contains("broken.jpg"), bad.err());
        assertFalse(bad.err().contains("template"), "failed before the model was opened: " + bad.err());
    }
}
