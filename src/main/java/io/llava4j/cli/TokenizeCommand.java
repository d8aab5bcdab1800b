package io.llava4j.cli;

import io.llava4j.model.LanguageModel;
import io.llava4j.model.ModelOptions;
import io.llava4j.model.Vocabulary;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llava4j tokenize --model LM "text"}: token ids and pieces, one per line. */
@Command(
        name = "tokenize",
        mixinStandardHelpOptions = true,
        description = "Tokenize text with a model's tokenizer and print ids and pieces.")
final class TokenizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = {"-m", "--model"},
            required = true,
            paramLabel = "LM.gguf",
            description = "Language model GGUF.")
    Path model;

    @Option(names = "--no-bos", description = "Do not add BOS/EOS as the model's tokenizer would.")
    boolean noSpecial;

    @Option(names = "--no-parse-special", description = "Treat special-token text such as <|im_start|> as plain text.")
    boolean noParseSpecial;

    @Option(names = "--ids-only", description = "Print the ids on one line, space-separated.")
    boolean idsOnly;

    @Parameters(index = "0", paramLabel = "TEXT", description = "Text to tokenize.")
    String text;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (LanguageModel lm = LanguageModel.load(model, ModelOptions.vocabularyOnly())) {
            Vocabulary vocab = lm.vocabulary();
            int[] ids = vocab.tokenize(text, !noSpecial, !noParseSpecial);
            if (idsOnly) {
                StringBuilder line = new StringBuilder();
                for (int id : ids) {
                    line.append(line.length() == 0 ? "" : " ").append(id);
                }
                out.println(line);
            } else {
                for (int id : ids) {
                    out.printf(Locale.ROOT, "%8d  %s%n", id, Printable.quote(vocab.tokenText(id)));
                }
                out.printf(Locale.ROOT, "%d tokens%n", ids.length);
            }
            out.flush();
        }
        return 0;
    }
}
