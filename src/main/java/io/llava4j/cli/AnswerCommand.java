package io.llava4j.cli;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.cli.vqa.AnswerFile;
import io.llava4j.cli.vqa.Chunks;
import io.llava4j.cli.vqa.Question;
import io.llava4j.cli.vqa.QuestionId;
import io.llava4j.conversation.Chat;
import io.llava4j.conversation.ChatGroup;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.model.ContextOptions;
import io.llava4j.model.InferenceContext;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code llava4j answer}: batch answering in the format of LLaVA's {@code model_vqa.py}, so that
 * LLaVA's evaluation scripts read the output. Each question is answered in a fresh conversation;
 * each answer is appended and flushed at once, and a later run with the same {@code --answers}
 * skips the questions already there, so an interrupted run resumes where it stopped.
 *
 * <p>{@code --num-chunks}/{@code --chunk-idx} answer one chunk of the questions, cut as LLaVA's
 * {@code model_vqa_loader.py} cuts them ({@link Chunks}), so that a job scheduler spreads an
 * evaluation over machines; {@code answer merge} ({@link AnswerMergeCommand}) joins the chunks'
 * answers files. {@code --parallel} answers several questions at once on the chats of one {@link
 * io.llava4j.conversation.ChatGroup} ({@link AnswerRunner}).
 *
 * <p>{@code --questions} and {@code --answers} are required, but checked here rather than by
 * picocli: picocli checks a command's required options also when one of its subcommands runs, and
 * {@code answer merge} has no questions to answer.
 *
 * <p>Exit codes: 0 when every question is answered (or {@code --limit} was reached), 1 if a
 * question could not be answered (bad line, missing image: reported, the others still answered),
 * 2 for usage errors.
 */
@Command(
        name = "answer",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        subcommands = AnswerMergeCommand.class,
        customSynopsis = {
            "llava4j answer --questions FILE.jsonl --answers OUT.jsonl [OPTIONS]",
            "   or: llava4j answer merge --answers OUT.jsonl [--questions FILE.jsonl] CHUNK.jsonl..."
        },
        description = {
            "Answer a JSONL question file like LLaVA's model_vqa.py.",
            "Reads {\"question_id\", \"image\", \"text\"} lines; appends {\"question_id\", \"prompt\", \"text\","
                    + " \"answer_id\", \"model_id\", \"metadata\"} lines to --answers.",
            "Prompt = \"<image>\\n\" + text (no image for a question without one). Resumable: questions"
                    + " already in --answers are skipped.",
            "Spread an evaluation over jobs with --num-chunks/--chunk-idx, then join the jobs' files with"
                    + " `answer merge`."
        })
final class AnswerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--questions",
            paramLabel = "FILE.jsonl",
            description = "Question file, one JSON object a line (required).")
    Path questions;

    @Option(
            names = "--image-folder",
            paramLabel = "DIR",
            description = "Folder the questions' image names are relative to (default: the question file's folder).")
    Path imageFolder;

    @Option(
            names = "--answers",
            paramLabel = "OUT.jsonl",
            description = "Answers file; created, or resumed if it exists (required).")
    Path answers;

    @Option(
            names = "--num-chunks",
            paramLabel = "N",
            defaultValue = "1",
            description = "Cut the questions into N chunks as LLaVA's model_vqa_loader.py does (ceil(questions / N)"
                    + " each; fewer when they do not spread that far) and answer only chunk --chunk-idx"
                    + " (default: ${DEFAULT-VALUE}).")
    int numChunks;

    @Option(
            names = "--chunk-idx",
            paramLabel = "K",
            defaultValue = "0",
            description = "Which chunk to answer, 0 to N-1 (default: ${DEFAULT-VALUE}). A chunk beyond the last"
                    + " (5 questions in 4 chunks: 2, 2, 1) is empty: an empty answers file is written.")
    int chunkIdx;

    @Option(
            names = "--parallel",
            paramLabel = "N",
            defaultValue = "1",
            description = "Answer N questions at once, decoded together in one batch per step (default:"
                    + " ${DEFAULT-VALUE}). The KV cache holds N x --ctx positions: size --ctx to one question."
                    + " Answers are written in question order.")
    int parallel;

    @Option(
            names = "--model-id",
            paramLabel = "ID",
            description = "model_id written with each answer (default: the model file's name without extension).")
    String modelId;

    @Option(
            names = "--limit",
            paramLabel = "N",
            description = "Answer at most N questions in this run; the next run goes on from there.")
    Integer limit;

    @Mixin
    ModelOptionsMixin modelOptions;

    @Mixin
    SamplingOptionsMixin sampling;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        if (questions == null || answers == null) {
            throw new ParameterException(
                    spec.commandLine(),
                    "Missing required options: --questions and --answers (or `answer merge` to join answers files)");
        }
        modelOptions.validate(spec.commandLine(), false);
        if (limit != null && limit < 0) {
            throw new ParameterException(spec.commandLine(), "--limit must be >= 0");
        }
        if (parallel < 1 || parallel > InferenceContext.MAX_SEQUENCES) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--parallel must be 1 to " + InferenceContext.MAX_SEQUENCES + ", not " + parallel);
        }
        try {
            Chunks.check(numChunks, chunkIdx);
        } catch (Llava4jException e) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--num-chunks " + numChunks + " --chunk-idx " + chunkIdx + ": " + e.getMessage());
        }
        GenerationSettings settings = sampling.settings();
        Path folder =
                imageFolder != null ? imageFolder : questions.toAbsolutePath().getParent();
        int failures = 0;
        List<Question> all = new ArrayList<>();
        List<String> lines = readLines(questions);
        // chunks are cut from the question lines, as model_vqa_loader cuts its list of json.loads of
        // each line (blank lines, which it cannot read, count for nothing); a bad line takes its place
        // in its chunk and is reported by that chunk's job only
        List<Integer> lineIndexes = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).isBlank()) {
                lineIndexes.add(i);
            }
        }
        List<Integer> chunk = Chunks.of(lineIndexes, numChunks, chunkIdx);
        if (numChunks > 1) {
            err.println(chunkSummary(lineIndexes.size(), chunk.size()));
        }
        for (int i : chunk) {
            try {
                all.add(Question.parse(lines.get(i)));
            } catch (Llava4jException e) {
                failures++;
                err.println("error: " + questions + " line " + (i + 1) + ": " + e.getMessage());
            }
        }
        try (AnswerFile out = AnswerFile.open(answers)) {
            if (out.droppedBytes() > 0) {
                err.println("llava4j: removed an incomplete last line (" + out.droppedBytes() + " bytes) from "
                        + answers + ": that question is answered again");
            }
            List<Question> todo = new ArrayList<>();
            Set<QuestionId> seen = new HashSet<>(out.answered().keySet());
            for (Question q : all) {
                if (seen.add(q.id())) {
                    todo.add(q);
                } else if (!out.answered().containsKey(q.id())) {
                    err.println(
                            "llava4j: question_id " + q.id() + " appears twice in " + questions + ": answered once");
                }
            }
            int answeredBefore = all.size() - todo.size();
            if (limit != null && todo.size() > limit) {
                todo = todo.subList(0, limit);
            }
            err.printf(
                    Locale.ROOT,
                    "llava4j: %d questions, %d already in %s, answering %d%n",
                    all.size(),
                    answeredBefore,
                    answers.getFileName(),
                    todo.size());
            err.flush();
            if (!todo.isEmpty()) {
                failures += answerAll(todo, folder, settings, out, err);
            }
        }
        return failures == 0 ? 0 : 1;
    }

    private int answerAll(
            List<Question> todo, Path folder, GenerationSettings settings, AnswerFile out, PrintWriter err) {
        if (!modelOptions.canSee() && todo.stream().anyMatch(q -> q.image() != null)) {
            throw new ParameterException(spec.commandLine(), "the questions have images: --mmproj is needed");
        }
        ModelOptionsMixin.ModelFiles files = modelOptions.files(err);
        String id = modelId != null
                ? modelId
                : withoutExtension(files.model().getFileName().toString());
        AnswerRunner runner = new AnswerRunner(todo, folder, settings, out, id, err);
        int chats = Math.min(parallel, todo.size());
        StreamingOutput loading = new StreamingOutput(spec.commandLine().getOut(), err);
        try (LlavaModel llava = modelOptions.open(files, loading, err, sampling.seed())) {
            ContextOptions options = modelOptions.contextOptions();
            if (chats == 1) {
                try (Chat chat = llava.newChat(options)) {
                    chat.setSystemPrompt(modelOptions.system);
                    return runner.run(List.of(chat));
                }
            }
            try (ChatGroup group = llava.newChatGroup(options, chats)) {
                for (Chat chat : group.chats()) {
                    chat.setSystemPrompt(modelOptions.system);
                }
                err.printf(
                        Locale.ROOT,
                        "llava4j: answering %d questions at once (%d KV positions each)%n",
                        chats,
                        options.contextLength());
                err.flush();
                return runner.run(group.chats());
            }
        }
    }

    /** Which questions chunk {@code --chunk-idx} holds, or that it is empty. */
    private String chunkSummary(int count, int size) {
        int full = Chunks.size(count, numChunks);
        if (size == 0) {
            return String.format(
                    Locale.ROOT,
                    "llava4j: chunk %d of %d is empty: %d questions make %d chunks of up to %d (an empty answers file"
                            + " is written)",
                    chunkIdx,
                    numChunks,
                    count,
                    full == 0 ? 0 : (count + full - 1) / full,
                    full);
        }
        return String.format(
                Locale.ROOT,
                "llava4j: chunk %d of %d: questions %d to %d of %d",
                chunkIdx,
                numChunks,
                chunkIdx * full + 1,
                chunkIdx * full + size,
                count);
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new Llava4jException(Code.IO, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static String withoutExtension(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
