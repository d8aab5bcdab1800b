package io.llava4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.testmodels.LlamaCppTree;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The packed piece table of {@link Vocabulary} against llama.cpp rendering each token on its own,
 * on the pinned tree's 151,936-token Qwen2 vocabulary (byte-level BPE: pieces of 1 to over 100
 * bytes, partial UTF-8 characters, control tokens).
 */
class VocabularyPiecesTest {
    @Test
    void everyPieceMatchesLlamaCppAndBothAccessorsAgree() {
        try (LanguageModel lm = LanguageModel.load(LlamaCppTree.vocab("qwen2"), ModelOptions.vocabularyOnly())) {
            Vocabulary vocab = lm.vocabulary();
            assertEquals(151936, vocab.size());
            byte[][] seen = new byte[1][];
            Vocabulary.PieceSink capture = (b, off, len) -> seen[0] = Arrays.copyOfRange(b, off, off + len);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            int controls = 0;
            for (int t = 0; t < vocab.size(); t++) {
                byte[] piece = vocab.piece(t);
                vocab.piece(t, capture);
                assertArrayEquals(piece, seen[0], "token " + t);
                if (vocab.isControl(t)) {
                    assertEquals(0, piece.length, "control token " + t + " renders as nothing");
                    controls++;
                } else {
                    // tokenText asks llama.cpp for this one token (special rendering only changes control tokens)
                    assertEquals(vocab.tokenText(t), new String(piece, StandardCharsets.UTF_8), "token " + t);
                }
                all.writeBytes(piece);
            }
            assertTrue(controls > 0, "the vocabulary has control tokens");
            int[] everyToken = IntStream.range(0, vocab.size()).toArray();
            assertEquals(all.toString(StandardCharsets.UTF_8), vocab.detokenize(everyToken));
        }
    }

    /** Guards the copy: callers of piece(int) may write to what they get. */
    @Test
    void pieceReturnsAFreshArray() {
        try (LanguageModel lm = LanguageModel.load(LlamaCppTree.vocab("qwen2"), ModelOptions.vocabularyOnly())) {
            Vocabulary vocab = lm.vocabulary();
            int token = vocab.tokenize("Hello", false, false)[0];
            byte[] first = vocab.piece(token);
            assertNotSame(first, vocab.piece(token));
            Arrays.fill(first, (byte) '!');
            assertEquals("Hello", new String(vocab.piece(token), StandardCharsets.UTF_8));
            assertEquals(
                    Llava4jException.Code.INVALID_ARGUMENT,
                    assertThrows(Llava4jException.class, () -> vocab.piece(vocab.size(), (b, o, l) -> {}))
                            .code());
        }
    }

    /** Guards the token loop: handing a piece to a sink allocates nothing once the table exists. */
    @Test
    void handingOutPiecesAllocatesNothing() {
        try (LanguageModel lm = LanguageModel.load(LlamaCppTree.vocab("qwen2"), ModelOptions.vocabularyOnly())) {
            Vocabulary vocab = lm.vocabulary();
            long[] bytes = new long[1];
            Vocabulary.PieceSink count = (b, off, len) -> bytes[0] += len;
            com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long thread = Thread.currentThread().getId();
            for (int round = 0; round < 3; round++) { // the first rounds build the table and warm up
                long before = threads.getThreadAllocatedBytes(thread);
                for (int t = 0; t < vocab.size(); t++) {
                    vocab.piece(t, count);
                }
                long allocated = threads.getThreadAllocatedBytes(thread) - before;
                if (round == 2) {
                    assertTrue(allocated < 4096, "allocated " + allocated + " bytes for " + vocab.size() + " pieces");
                }
            }
            assertTrue(bytes[0] > 0);
        }
    }
}
