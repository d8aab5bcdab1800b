package io.llava4j.cli.vqa;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.util.List;

/**
 * The slice of a question list that one job of a spread-out evaluation answers, exactly as LLaVA's
 * {@code model_vqa_loader.py} cuts it, so that a job of ours and one of LLaVA's given the same
 * file, count and index answer the same questions.
 *
 * <p>The reference ({@code split_list} and {@code get_chunk}):
 *
 * <pre>
 * chunk_size = math.ceil(len(lst) / n)
 * chunks = [lst[i:i+chunk_size] for i in range(0, len(lst), chunk_size)]
 * return chunks[k]
 * </pre>
 *
 * <p>Slices of {@code ceil(len / n)} questions leave fewer than {@code n} chunks when the questions
 * do not spread that far (5 questions in 4 chunks: 2, 2, 1), and the reference then fails with an
 * {@code IndexError} for the last indices (and with a {@code ValueError} for an empty list). Here
 * such a chunk is empty: a job scheduler that starts {@code n} jobs gets {@code n} answer files,
 * some empty, and the merge of all of them is complete. Every other chunk is the reference's.
 */
public final class Chunks {
    private Chunks() {}

    /**
     * Chunk {@code index} of {@code count} of {@code list}, as {@code get_chunk(list, count, index)}
     * returns it; empty where the reference has no such chunk.
     *
     * @return a view of {@code list}
     * @throws Llava4jException {@code INVALID_ARGUMENT} unless {@code count >= 1} and {@code 0 <= index
     *     < count}
     */
    public static <T> List<T> of(List<T> list, int count, int index) {
        check(count, index);
        int size = size(list.size(), count);
        int from = (int) Math.min((long) index * size, list.size());
        int to = (int) Math.min((long) from + size, list.size());
        return list.subList(from, to);
    }

    /** {@code math.ceil(len / count)}: the size of every chunk but the last. */
    public static int size(int length, int count) {
        return (int) (((long) length + count - 1) / count);
    }

    /**
     * Checks a chunk count and index.
     *
     * @throws Llava4jException {@code INVALID_ARGUMENT} unless {@code count >= 1} and {@code 0 <= index
     *     < count}
     */
    public static void check(int count, int index) {
        if (count < 1) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "the number of chunks must be >= 1, not " + count);
        }
        if (index < 0 || index >= count) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "the chunk index must be 0 to " + (count - 1) + " for " + count + " chunks, not " + index);
        }
    }
}
