package io.llava4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.testmodels.LlamaCppTree;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** {@code llava4j tokenize}: ids and pieces, and what each option changes. */
class TokenizeCommandTest {
    private final String vocab = LlamaCppTree.vocab("llama-spm").toString();

    @Test
    void printsIdsAndPiecesWithBos() {
        CliRunner.Result r = CliRunner.run("tokenize", "-m", vocab, "Hello world");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(
                r.out().matches("(?s)\\s+1\\s+'<s>'\\n\\s+15043\\s+' Hello'\\n\\s+3186\\s+' world'\\n3 tokens\\n"),
                r.out());
    }

    /**
     * Regression: {@code printf("%8d")} without a locale writes the default locale's digits, so in a
     * Persian (or Arabic, Marathi, Bengali...) locale the ids came out in Persian digits (U+06F0..U+06F9)
     * and no script could read them. The command prints ASCII digits whatever the default locale is.
     */
    @Test
    void idsAreAsciiDigitsWhateverTheDefaultLocale() {
        Locale before = Locale.getDefault();
        Locale display = Locale.getDefault(Locale.Category.DISPLAY);
        Locale format = Locale.getDefault(Locale.Category.FORMAT);
        Locale.setDefault(Locale.forLanguageTag("fa-IR"));
        try {
            CliRunner.Result r = CliRunner.run("tokenize", "-m", vocab, "Hello world");
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(
                    r.out().matches("(?s)\\s+1\\s+'<s>'\\n\\s+15043\\s+' Hello'\\n\\s+3186\\s+' world'\\n3 tokens\\n"),
                    r.out());
        } finally {
            Locale.setDefault(before);
            Locale.setDefault(Locale.Category.DISPLAY, display);
            Locale.setDefault(Locale.Category.FORMAT, format);
        }
    }

    @Test
    void idsOnlyPrintsOneLine() {
        CliRunner.Result r = CliRunner.run("tokenize", "--ids-only", "-m", vocab, "Hello world");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("1 15043 3186", r.out().strip());
    }

    @Test
    void noBosLeavesOutBos() {
        CliRunner.Result r = CliRunner.run("tokenize", "--ids-only", "--no-bos", "-m", vocab, "Hello world");
        assertEquals("15043 3186", r.out().strip());
    }

    @Test
    void specialTokenTextIsParsedUnlessDisabled() {
        CliRunner.Result parsed = CliRunner.run("tokenize", "--ids-only", "--no-bos", "-m", vocab, "</s>");
        assertEquals("2", parsed.out().strip());
        CliRunner.Result plain =
                CliRunner.run("tokenize", "--ids-only", "--no-bos", "--no-parse-special", "-m", vocab, "</s>");
        assertTrue(plain.out().strip().split(" ").length > 1, "</s> as text is several tokens: " + plain.out());
    }

    @Test
    void mmprojOrMissingFileIsAClearError() {
        CliRunner.Result r = CliRunner.run("tokenize", "-m", "/nonexistent/model.gguf", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("/nonexistent/model.gguf"), r.err());
    }
}
