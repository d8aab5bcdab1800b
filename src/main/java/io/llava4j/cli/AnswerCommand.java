package io.llava4j.cli;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.cli.vqa.AnswerFile;
import io.llava4j.cli.vqa.Question;
import io.llava4j.cli.vqa.QuestionId;
import io.llava4j.cli.vqa.ShortUuid;
import io.llava4j.conversation.Chat;
import io.llava4j.conversation.GenerationListener;
import io.llava4j.conversation.GenerationResult;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.image.ChatImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
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
 * <p>Exit codes: 0 when every question is answered (or {@code --limit} was reached), 1 if a
 * question could not be answered (bad line, missing image: reported, the others still answered),
 * 2 for usage errors.
 */
@Command(
        name = "answer",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Answer a JSONL question file like LLaVA's model_vqa.py.",
            "Reads {\"question_id\", \"image\", \"text\"} lines; appends {\"question_id\", \"prompt\", \"text\","
                    + " \"answer_id\", \"model_id\", \"metadata\"} lines to --answers.",
            "Prompt = \"<image>\\n\" + text (no image for a question without one). Resumable: questions"
                    + " already in --answers are skipped."
        })
final class AnswerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--questions",
            required = true,
            paramLabel = "FILE.jsonl",
            description = "Question file, one JSON object a line.")
    Path questions;

    @Option(
            names = "--image-folder",
            paramLabel = "DIR",
            description = "Folder the questions' image names are relative to (default: the question file's folder).")
    Path imageFolder;

    @Option(
            names = "--answers",
            required = true,
            paramLabel = "OUT.jsonl",
            description = "Answers file; created, or resumed if it exists.")
    Path answers;

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
        modelOptions.validate(spec.commandLine(), false);
        if (limit != null && limit < 0) {
            throw new ParameterException(spec.commandLine(), "--limit must be >= 0");
        }
        GenerationSettings settings = sampling.settings();
        Path folder =
                imageFolder != null ? imageFolder : questions.toAbsolutePath().getParent();
        int failures = 0;
        List<Question> all = new ArrayList<>();
        List<String> lines = readLines(questions);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
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
        int failures = 0;
        StreamingOutput loading = new StreamingOutput(spec.commandLine().getOut(), err);
        try (LlavaModel llava = modelOptions.open(files, loading, err, sampling.seed());
                Chat chat = llava.newChat(modelOptions.contextOptions())) {
            chat.setSystemPrompt(modelOptions.system);
            int n = 0;
            for (Question q : todo) {
                n++;
                GenerationResult r;
                try {
                    r = answer(chat, q, folder, settings);
                } catch (Llava4jException | InvalidPathException e) {
                    failures++;
                    err.println("error: question " + q.id() + ": " + e.getMessage());
                    err.flush();
                    continue;
                }
                // outside the catch: if the answers file cannot be written, every further answer would be lost
                out.append(q.id(), q.text(), r.text().strip(), ShortUuid.next(), id);
                err.printf(
                        Locale.ROOT,
                        "llava4j: [%d/%d] question %s: %d tokens, %s%n",
                        n,
                        todo.size(),
                        q.id(),
                        r.generatedTokens(),
                        r.finishReason().name().toLowerCase(Locale.ROOT));
                err.flush();
            }
        }
        return failures;
    }

    /**
     * Answers one question in a fresh conversation, as model_vqa.py builds a new one for each: the
     * chat is cleared first (also of a question that failed), and only the KV cache of the common
     * prefix (the system prompt) is reused, which changes no answer.
     */
    private static GenerationResult answer(Chat chat, Question q, Path folder, GenerationSettings settings) {
        chat.clear();
        List<ChatImage> images = q.image() == null ? List.of() : List.of(ChatImage.of(folder.resolve(q.image())));
        chat.addUser(q.text(), images);
        return chat.generate(settings, GenerationListener.none());
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
