package io.llava4j.cli;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.cli.vqa.AnswerMerge;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code llava4j answer merge}: joins the answers files of the chunks of an evaluation ({@code
 * answer --num-chunks N --chunk-idx K}) into one; see {@link AnswerMerge}.
 *
 * <p>A subcommand rather than an option of {@code answer}: merging opens no model, so none of
 * {@code answer}'s model and sampling options would mean anything next to it, and its help lists
 * only what it reads.
 *
 * <p>Exit codes: 0 when merged, 1 when the files do not merge (bad line, question answered twice
 * or not at all: nothing is written), 2 for usage errors.
 */
@Command(
        name = "merge",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Join the answers files of the chunks of an evaluation into one.",
            "Without --questions the answers are copied in the order of the files (as LLaVA's eval scripts"
                    + " `cat` the chunk files); with it they take the questions' order, and every question must"
                    + " be answered once. Refuses bad lines and questions answered twice; --answers is replaced"
                    + " atomically."
        })
final class AnswerMergeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--answers",
            required = true,
            paramLabel = "OUT.jsonl",
            description = "The merged answers file (replaced if it exists).")
    Path answers;

    @Option(
            names = "--questions",
            paramLabel = "FILE.jsonl",
            description = "The questions file the chunks were cut from: write in its order and check that every"
                    + " question is answered.")
    Path questions;

    @Parameters(arity = "1..*", paramLabel = "CHUNK.jsonl", description = "The chunks' answers files, in chunk order.")
    List<Path> chunks;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        int n;
        try {
            n = AnswerMerge.merge(chunks, questions, answers);
        } catch (Llava4jException e) {
            if (e.code() == Code.INVALID_ARGUMENT) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            throw e;
        }
        err.printf(
                Locale.ROOT,
                "llava4j: merged %d answers from %d files into %s%s%n",
                n,
                chunks.size(),
                answers,
                questions == null ? "" : ", in the order of " + questions.getFileName());
        err.flush();
        return 0;
    }
}
