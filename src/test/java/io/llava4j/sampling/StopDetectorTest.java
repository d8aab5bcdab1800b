package io.llava4j.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StopDetectorTest {
    private final List<String> out = new ArrayList<>();

    private StopDetector detector(String... stops) {
        return new StopDetector(List.of(stops), out::add);
    }

    private String shown() {
        return String.join("", out);
    }

    @Test
    void stopStringSplitAcrossTokensEndsTheTextBeforeIt() {
        StopDetector d = detector("</s>");
        assertFalse(d.offer("Hello </"));
        assertEquals("Hello ", shown()); // "</" is held back
        assertEquals(2, d.heldBackLength());
        assertTrue(d.offer("s> and more"));
        assertEquals("Hello ", shown());
        assertEquals("</s>", d.matchedStop());
        assertTrue(d.stopped());
        assertTrue(d.offer("ignored"));
        d.flush();
        assertEquals("Hello ", shown());
    }

    @Test
    void partialMatchThatTurnsOutNotToBeAStopIsReleased() {
        StopDetector d = detector("STOP");
        assertFalse(d.offer("a ST"));
        assertEquals("a ", shown());
        assertFalse(d.offer("O"));
        assertFalse(d.offer("P!".substring(1))); // "!": the partial match breaks
        assertEquals("a STO!", shown());
        assertFalse(d.offer("S"));
        d.flush(); // end of generation: the held "S" is shown after all
        assertEquals("a STO!S", shown());
        assertFalse(d.stopped());
        assertNull(d.matchedStop());
    }

    @Test
    void heldTextCanRestartAStopInsideItself() {
        StopDetector d = detector("aab");
        assertFalse(d.offer("a"));
        assertFalse(d.offer("a"));
        assertFalse(d.offer("a")); // "aaa": the first "a" is safe, "aa" may still start "aab"
        assertEquals("a", shown());
        assertTrue(d.offer("b"));
        assertEquals("a", shown());
    }

    @Test
    void multipleStopStringsTheEarliestCompletingWins() {
        StopDetector d = detector("USER:", "###", "\n\n");
        assertFalse(d.offer("Answer: 42.\n"));
        assertTrue(d.offer("\n### USER:"));
        assertEquals("\n\n", d.matchedStop());
        assertEquals("Answer: 42.", shown());

        out.clear();
        StopDetector overlap = detector("abc", "b");
        assertTrue(overlap.offer("xabc"));
        assertEquals("b", overlap.matchedStop()); // "b" completes before "abc" would
        assertEquals("xa", shown());

        out.clear();
        StopDetector sameEnd = detector("c", "abc");
        assertTrue(sameEnd.offer("zabc"));
        assertEquals("abc", sameEnd.matchedStop()); // same end: the one that starts first
        assertEquals("z", shown());
    }

    @Test
    void everySplitOfTheStreamGivesTheSameResult() {
        String text = "The cat<|im_e sat.<|im_end|> trailing";
        for (int i = 0; i <= text.length(); i++) {
            for (int j = i; j <= text.length(); j++) {
                out.clear();
                StopDetector d = detector("<|im_end|>", "<|endoftext|>");
                d.offer(text.substring(0, i));
                d.offer(text.substring(i, j));
                d.offer(text.substring(j));
                d.flush();
                assertEquals("The cat<|im_e sat.", shown(), "split " + i + "," + j);
                assertEquals("<|im_end|>", d.matchedStop());
            }
        }
    }

    @Test
    void withoutStopStringsEverythingPassesAtOnce() {
        StopDetector d = detector();
        assertFalse(d.offer("abc"));
        assertEquals(List.of("abc"), out);
        assertFalse(d.offer(""));
        assertEquals(1, out.size());
    }

    @Test
    void resetStartsOver() {
        StopDetector d = detector("end");
        assertTrue(d.offer("the end"));
        d.reset();
        assertFalse(d.stopped());
        assertFalse(d.offer("again e"));
        assertEquals("the again ", shown());
    }

    @Test
    void worksBehindTheUtf8Streamer() {
        StopDetector d = detector("😀");
        Utf8Streamer s = new Utf8Streamer(d::offer);
        byte[] bytes = "ok 😀 no".getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            s.accept(new byte[] {b});
        }
        s.flush();
        d.flush();
        assertEquals("ok ", shown());
        assertEquals("😀", d.matchedStop());
    }

    @Test
    void rejectsEmptyStopStrings() {
        Llava4jException e = assertThrows(Llava4jException.class, () -> detector("x", ""));
        assertEquals(Llava4jException.Code.INVALID_ARGUMENT, e.code());
        assertThrows(NullPointerException.class, () -> new StopDetector(List.of("x"), null));
    }
}
