package io.llava4j.testmodels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * llama.cpp's tokenizer test vectors for a vocabulary file {@code X.gguf}: the strings of {@code
 * X.gguf.inp} and the token ids of {@code X.gguf.out} (HF {@code encode(text,
 * add_special_tokens=False)}), one pair per test.
 *
 * @param inputs the test strings
 * @param expected the ids of each string
 */
public record VocabTestVectors(List<String> inputs, List<int[]> expected) {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    /** Reads the vectors beside {@code vocabFile}. */
    public static VocabTestVectors of(Path vocabFile) {
        try {
            List<String> inputs = split(Files.readString(Path.of(vocabFile + ".inp"), StandardCharsets.UTF_8));
            List<int[]> expected = Files.readAllLines(Path.of(vocabFile + ".out"), StandardCharsets.UTF_8).stream()
                    .map(VocabTestVectors::parseIds)
                    .toList();
            if (inputs.size() != expected.size()) {
                throw new IllegalStateException(
                        vocabFile + ": " + inputs.size() + " test strings but " + expected.size() + " lines of ids");
            }
            return new VocabTestVectors(inputs, expected);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Splits exactly like read_tests() in llama.cpp's test-tokenizer-0.cpp. */
    static List<String> split(String raw) {
        List<String> out = new ArrayList<>();
        int pos = 0;
        while (pos < raw.length()) {
            int next = raw.indexOf(SEPARATOR, pos);
            if (next < 0) {
                out.add(raw.substring(pos));
                break;
            }
            out.add(raw.substring(pos, next));
            pos = next + SEPARATOR.length();
        }
        return out;
    }

    private static int[] parseIds(String line) {
        String s = line.strip();
        return s.isEmpty()
                ? new int[0]
                : Arrays.stream(s.split(" ")).mapToInt(Integer::parseInt).toArray();
    }
}
