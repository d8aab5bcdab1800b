package io.llava4j.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class Utf8StreamerTest {
    private final List<String> pieces = new ArrayList<>();
    private final Utf8Streamer streamer = new Utf8Streamer(pieces::add);

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    private String joined() {
        return String.join("", pieces);
    }

    @Test
    void everyPieceIsCompleteWhereverTheBytesAreSplit() {
        String text = "a é 汉 😀 z";
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        // Every way of cutting the bytes into three tokens.
        for (int i = 0; i <= utf8.length; i++) {
            for (int j = i; j <= utf8.length; j++) {
                pieces.clear();
                streamer.reset();
                streamer.accept(utf8, 0, i);
                streamer.accept(utf8, i, j - i);
                streamer.accept(Arrays.copyOfRange(utf8, j, utf8.length));
                streamer.flush();
                assertEquals(text, joined(), "cut at " + i + "," + j);
                for (String piece : pieces) {
                    assertFalse(piece.isEmpty());
                    assertFalse(piece.contains("\uFFFD"), "cut at " + i + "," + j + ": " + pieces);
                    assertEquals(piece, new String(piece.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
                }
            }
        }
    }

    @Test
    void oneByteAtATimeEmitsEachCharacterOnceComplete() {
        for (String ch : new String[] {"é", "汉", "😀"}) {
            pieces.clear();
            byte[] utf8 = ch.getBytes(StandardCharsets.UTF_8);
            for (int k = 0; k < utf8.length; k++) {
                streamer.accept(utf8, k, 1);
                assertEquals(k < utf8.length - 1 ? 0 : 1, pieces.size(), ch + " after byte " + k);
                assertEquals(k < utf8.length - 1 ? k + 1 : 0, streamer.pendingBytes());
            }
            assertEquals(List.of(ch), pieces);
        }
    }

    @Test
    void invalidBytesBecomeReplacementCharactersWithoutWaiting() {
        byte[][] invalid = {
            bytes(0x41, 0x80, 0x42), // stray continuation byte
            bytes(0xC0, 0xAF), // overlong encoding of '/'
            bytes(0xFF), // never valid
            bytes(0xED, 0xA0), // would be a surrogate: can never complete
            bytes(0xF4, 0x90), // would be above U+10FFFF
            bytes(0xE0, 0x80), // overlong 3-byte form
        };
        for (byte[] piece : invalid) {
            pieces.clear();
            streamer.accept(piece);
            assertEquals(0, streamer.pendingBytes(), Arrays.toString(piece));
            String decoded = new String(piece, StandardCharsets.UTF_8);
            assertEquals(List.of(decoded), pieces);
            assertTrue(decoded.contains("\uFFFD"));
        }
        assertEquals("A\uFFFDB", new String(invalid[0], StandardCharsets.UTF_8));
    }

    @Test
    void anInterruptedCharacterIsReplacedAndTheNextOneKept() {
        streamer.accept(bytes(0xE6, 0xB1)); // first two bytes of 汉
        assertEquals(2, streamer.pendingBytes());
        streamer.accept("é".getBytes(StandardCharsets.UTF_8));
        assertEquals("\uFFFDé", joined());
    }

    @Test
    void flushReplacesAnUnfinishedTail() {
        streamer.accept(bytes(0x68, 0x69, 0xF0, 0x9F, 0x98));
        assertEquals(List.of("hi"), pieces);
        assertEquals(3, streamer.pendingBytes());
        streamer.flush();
        assertEquals(List.of("hi", "\uFFFD"), pieces);
        assertEquals(0, streamer.pendingBytes());
        streamer.flush();
        assertEquals(2, pieces.size());
    }

    @Test
    void emptyPiecesAndLongPiecesAreFine() {
        streamer.accept(new byte[0]);
        assertTrue(pieces.isEmpty());
        String longText = "ü".repeat(1000);
        byte[] utf8 = longText.getBytes(StandardCharsets.UTF_8);
        streamer.accept(utf8, 0, 1);
        streamer.accept(utf8, 1, utf8.length - 1);
        assertEquals(longText, joined());
        assertThrows(IndexOutOfBoundsException.class, () -> streamer.accept(utf8, 5, utf8.length));
    }
}
