package io.llava4j.cli.vqa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Chunk membership against a line-by-line transcription of LLaVA's {@code split_list}/{@code get_chunk}. */
class ChunksTest {
    /**
     * {@code split_list(lst, n)} of model_vqa_loader.py, expression by expression: {@code chunk_size =
     * math.ceil(len(lst) / n)} (true division, then ceil) and {@code [lst[i:i+chunk_size] for i in
     * range(0, len(lst), chunk_size)]} (slices clamp to the list's end).
     */
    private static List<List<Integer>> splitList(List<Integer> lst, int n) {
        int chunkSize = (int) Math.ceil((double) lst.size() / n);
        if (chunkSize == 0) {
            throw new IllegalArgumentException("ValueError: range() arg 3 must not be zero");
        }
        List<List<Integer>> chunks = new ArrayList<>();
        for (int i = 0; i < lst.size(); i += chunkSize) {
            chunks.add(lst.subList(i, Math.min(i + chunkSize, lst.size())));
        }
        return chunks;
    }

    @Test
    void membershipIsTheReferencesAndMissingChunksAreEmpty() {
        int compared = 0;
        int beyond = 0;
        for (int len = 0; len <= 60; len++) {
            List<Integer> lst = IntStream.range(0, len).boxed().collect(Collectors.toList());
            for (int n = 1; n <= 17; n++) {
                List<List<Integer>> reference = len == 0 ? List.of() : splitList(lst, n);
                List<Integer> joined = new ArrayList<>();
                for (int k = 0; k < n; k++) {
                    List<Integer> chunk = Chunks.of(lst, n, k);
                    if (k < reference.size()) {
                        assertEquals(reference.get(k), chunk, "len " + len + ", n " + n + ", k " + k);
                        compared++;
                    } else {
                        // get_chunk raises IndexError (ValueError for an empty list): we give nothing to answer
                        assertEquals(List.of(), chunk, "len " + len + ", n " + n + ", k " + k);
                        beyond++;
                    }
                    joined.addAll(chunk);
                }
                assertEquals(lst, joined, "the chunks in index order are the list: len " + len + ", n " + n);
            }
        }
        assertTrue(compared > 1000 && beyond > 100, compared + " compared, " + beyond + " beyond the reference");
    }

    @Test
    void fiveQuestionsInFourChunks() {
        List<String> q = List.of("a", "b", "c", "d", "e");
        assertEquals(List.of("a", "b"), Chunks.of(q, 4, 0));
        assertEquals(List.of("c", "d"), Chunks.of(q, 4, 1));
        assertEquals(List.of("e"), Chunks.of(q, 4, 2));
        assertEquals(List.of(), Chunks.of(q, 4, 3), "IndexError in the reference");
        assertEquals(List.of("a"), Chunks.of(q, 8, 0), "more chunks than questions: one each, then empty ones");
        assertEquals(List.of(), Chunks.of(q, 8, 5));
    }

    @Test
    void countAndIndexAreChecked() {
        assertMessage("must be >= 1, not 0", 0, 0);
        assertMessage("must be 0 to 3 for 4 chunks, not 4", 4, 4);
        assertMessage("not -1", 4, -1); // Python would count from the end: not a job index
    }

    private static void assertMessage(String expected, int count, int index) {
        Llava4jException e = assertThrows(Llava4jException.class, () -> Chunks.of(List.of(1, 2), count, index));
        assertEquals(Llava4jException.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
