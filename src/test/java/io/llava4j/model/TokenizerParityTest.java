package io.llava4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.llava4j.testmodels.LlamaCppTree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * llama.cpp's own tokenizer test suite (tests/test-tokenizer-0.cpp), run through our binding:
 * every {@code models/ggml-vocab-*.gguf} that has {@code .inp}/{@code .out} files, each test
 * string tokenized with {@code add_special=false, parse_special=false} and compared exactly with
 * the ids Hugging Face's tokenizer produced.
 */
class TokenizerParityTest {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    @TestFactory
    Stream<DynamicTest> everyVocabularyMatchesItsTestVectors() throws IOException {
        Path models = LlamaCppTree.require().resolve("models");
        List<Path> vocabs;
        try (Stream<Path> files = Files.list(models)) {
            vocabs = files.filter(p -> p.getFileName().toString().matches("ggml-vocab-.*\\.gguf"))
                    .filter(p -> Files.exists(Path.of(p + ".inp")) && Files.exists(Path.of(p + ".out")))
                    .sorted()
                    .toList();
        }
        assertFalse(vocabs.isEmpty(), "no vocabulary test vectors under " + models);
        return vocabs.stream().map(v -> DynamicTest.dynamicTest(v.getFileName().toString(), () -> check(v)));
    }

    private static void check(Path vocabFile) throws IOException {
        List<String> inputs = split(Files.readString(Path.of(vocabFile + ".inp"), StandardCharsets.UTF_8));
        List<String> outputs = Files.readAllLines(Path.of(vocabFile + ".out"), StandardCharsets.UTF_8);
        assertEquals(inputs.size(), outputs.size(), "test count of " + vocabFile);
        try (LanguageModel lm = LanguageModel.load(vocabFile, ModelOptions.vocabularyOnly())) {
            Vocabulary vocab = lm.vocabulary();
            for (int i = 0; i < inputs.size(); i++) {
                int[] expected = parseIds(outputs.get(i));
                int[] actual = vocab.tokenize(inputs.get(i), false, false);
                int index = i;
                assertArrayEquals(expected, actual, () -> vocabFile.getFileName() + " test " + index + " "
                        + quote(inputs.get(index)) + ": expected " + Arrays.toString(expected) + ", got "
                        + Arrays.toString(actual));
            }
        }
    }

    /** Splits exactly like read_tests() in test-tokenizer-0.cpp. */
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
        return s.isEmpty() ? new int[0] : Arrays.stream(s.split(" ")).mapToInt(Integer::parseInt).toArray();
    }

    private static String quote(String s) {
        return "'" + s.replace("\n", "\\n").replace("\t", "\\t") + "'";
    }
}
