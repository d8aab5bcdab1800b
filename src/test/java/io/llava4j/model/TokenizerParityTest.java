package io.llava4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.llava4j.testmodels.LlamaCppTree;
import io.llava4j.testmodels.VocabTestVectors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        VocabTestVectors tests = VocabTestVectors.of(vocabFile);
        List<String> inputs = tests.inputs();
        try (LanguageModel lm = LanguageModel.load(vocabFile, ModelOptions.vocabularyOnly())) {
            Vocabulary vocab = lm.vocabulary();
            for (int i = 0; i < inputs.size(); i++) {
                int[] expected = tests.expected().get(i);
                int[] actual = vocab.tokenize(inputs.get(i), false, false);
                int index = i;
                assertArrayEquals(
                        expected,
                        actual,
                        () -> vocabFile.getFileName() + " test " + index + " "
                                + quote(inputs.get(index)) + ": expected " + Arrays.toString(expected) + ", got "
                                + Arrays.toString(actual));
            }
        }
    }

    private static String quote(String s) {
        return "'" + s.replace("\n", "\\n").replace("\t", "\\t") + "'";
    }
}
