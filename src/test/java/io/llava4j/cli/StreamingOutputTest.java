package io.llava4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The progress line on stderr: drawn in place, erased before the answer, absent off a terminal. */
class StreamingOutputTest {
    @Test
    void progressIsRedrawnInPlaceAndErasedBeforeTheAnswer() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        StreamingOutput s = new StreamingOutput(new PrintWriter(out), new PrintWriter(err), true);
        s.onLoad(Path.of("/m/lm.gguf"), 0.5);
        s.onImageEncoding(0, 2, 3, 5);
        s.onPrefill(64, 128);
        s.onText("Hello");
        s.onText(" world");
        assertEquals("Hello world", out.toString());
        String e = err.toString();
        assertTrue(e.contains("\r\033[Kloading lm.gguf: [############            ]  50%"), e);
        assertTrue(e.contains("\r\033[Kencoding image 1/2: [##############          ] 3/5"), e);
        assertTrue(e.contains("\r\033[Kreading the prompt: [############            ] 64/128"), e);
        assertTrue(e.endsWith("64/128\r\033[K"), "erased once before the first piece: " + e);
    }

    @Test
    void offATerminalNothingButTheAnswerIsWritten() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        StreamingOutput s = new StreamingOutput(new PrintWriter(out), new PrintWriter(err), false);
        s.onPrefill(1, 2);
        s.onText("x");
        s.clearProgress();
        assertEquals("x", out.toString());
        assertEquals("", err.toString());
    }
}
