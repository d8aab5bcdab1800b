package io.llava4j.cli;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.cli.vqa.AnswerFile;
import io.llava4j.cli.vqa.Question;
import io.llava4j.cli.vqa.ShortUuid;
import io.llava4j.conversation.Chat;
import io.llava4j.conversation.GenerationListener;
import io.llava4j.conversation.GenerationResult;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.image.ChatImage;
import java.io.PrintWriter;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Answers questions of {@code answer} on one chat or on several at once (the chats of a {@link
 * io.llava4j.conversation.ChatGroup}, each driven by a thread of its own, as the group requires),
 * and appends the answers to the answers file in question order.
 *
 * <p>Each thread takes the next question, answers it in a fresh conversation and hands the answer
 * over; an answer that finishes before those of earlier questions waits in memory until they are
 * written. So the file is always the answers of a prefix of the questions, each flushed when
 * written: a kill loses only the answers still waiting (at most one less than the chats), which the
 * next run answers again.
 *
 * <p>A question that cannot be answered (missing image, prompt longer than the context) is reported
 * in its place and the others go on; a failure to write the answers file, or any other error, stops
 * all threads (running answers are cancelled) and is thrown by {@link #run}. One run per instance.
 */
final class AnswerRunner {
    /** A question that could not be answered, reported where its answer would have been written. */
    private record Failure(String message) {}

    private final List<Question> todo;
    private final Path imageFolder;
    private final GenerationSettings settings;
    private final AnswerFile out;
    private final String modelId;
    private final PrintWriter err;

    private final AtomicInteger next = new AtomicInteger();
    /** Outcomes not yet written (a GenerationResult or a Failure), by question index; guarded by this. */
    private final Object[] outcomes;
    /** Index of the next question to write; guarded by this. */
    private int written;
    /** Guarded by this. */
    private int failures;
    /** The error that stops the run; guarded by this. */
    private Throwable fatal;

    private volatile List<Chat> chats = List.of();

    /**
     * @param todo the questions, in the order their answers are written
     * @param imageFolder the folder the questions' image names are relative to
     * @param out the answers file (written by the chats' threads, one at a time)
     * @param modelId the model_id written with each answer
     * @param err progress and per-question errors (written by the chats' threads, one at a time)
     */
    AnswerRunner(
            List<Question> todo,
            Path imageFolder,
            GenerationSettings settings,
            AnswerFile out,
            String modelId,
            PrintWriter err) {
        this.todo = List.copyOf(todo);
        this.imageFolder = imageFolder;
        this.settings = settings;
        this.out = out;
        this.modelId = modelId;
        this.err = err;
        this.outcomes = new Object[todo.size()];
    }

    /**
     * Answers all questions on {@code chats}: one chat on the calling thread, several on a thread
     * each. Returns when every answer is written, or when the run failed.
     *
     * @return the number of questions that could not be answered
     * @throws Llava4jException {@code IO} if the answers file cannot be written, {@code CANCELLED} if
     *     the calling thread is interrupted (the answers written so far stay); any other error of a
     *     chat's thread as it was thrown
     */
    int run(List<Chat> chats) {
        this.chats = List.copyOf(chats);
        if (chats.size() == 1) {
            work(chats.get(0));
        } else {
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < chats.size(); i++) {
                Chat chat = chats.get(i);
                Thread t = new Thread(() -> work(chat), "llava4j-answer-" + i);
                t.setDaemon(true); // never keeps the JVM alive past main, whatever happens here
                threads.add(t);
                t.start();
            }
            boolean interrupted = false;
            for (Thread t : threads) {
                while (t.isAlive()) {
                    try {
                        t.join();
                    } catch (InterruptedException e) {
                        interrupted = true;
                        stop(new Llava4jException(Code.CANCELLED, "interrupted: the answers written so far stay"));
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (fatal instanceof RuntimeException e) {
                throw e;
            }
            if (fatal instanceof Error e) {
                throw e;
            }
            return failures;
        }
    }

    private void work(Chat chat) {
        try {
            while (!stopped()) {
                int i = next.getAndIncrement();
                if (i >= todo.size()) {
                    return;
                }
                Object outcome;
                try {
                    outcome = answer(chat, todo.get(i));
                } catch (Llava4jException | InvalidPathException e) {
                    outcome = new Failure(e.getMessage());
                }
                finished(i, outcome);
            }
        } catch (RuntimeException | Error e) {
            stop(e); // thrown by run once every thread is done
        }
    }

    /**
     * Answers one question in a fresh conversation, as model_vqa.py builds a new one for each: the
     * chat is cleared first (also of a question that failed), and only the KV cache of the common
     * prefix (the system prompt) is reused, which changes no answer.
     */
    private GenerationResult answer(Chat chat, Question q) {
        chat.clear();
        List<ChatImage> images = q.image() == null ? List.of() : List.of(ChatImage.of(imageFolder.resolve(q.image())));
        chat.addUser(q.text(), images);
        return chat.generate(settings, GenerationListener.none());
    }

    /** Records question {@code index}'s outcome and writes all outcomes that are next in order. */
    private synchronized void finished(int index, Object outcome) {
        if (fatal != null) {
            return; // stopping: an answer cancelled on the way is not an answer
        }
        outcomes[index] = outcome;
        while (written < outcomes.length && outcomes[written] != null) {
            Object o = outcomes[written];
            outcomes[written] = null;
            Question q = todo.get(written);
            written++;
            if (o instanceof Failure f) {
                failures++;
                err.println("error: question " + q.id() + ": " + f.message());
            } else {
                GenerationResult r = (GenerationResult) o;
                // throws if the file cannot be written: then every further answer would be lost too
                out.append(q.id(), q.text(), r.text().strip(), ShortUuid.next(), modelId);
                err.printf(
                        Locale.ROOT,
                        "llava4j: [%d/%d] question %s: %d tokens, %s%n",
                        written,
                        todo.size(),
                        q.id(),
                        r.generatedTokens(),
                        r.finishReason().name().toLowerCase(Locale.ROOT));
            }
            err.flush();
        }
    }

    private synchronized boolean stopped() {
        return fatal != null;
    }

    /** Stops the run for {@code cause}: no more answers are written, the running ones are cancelled. */
    private void stop(Throwable cause) {
        synchronized (this) {
            if (fatal != null) {
                if (fatal != cause) {
                    fatal.addSuppressed(cause);
                }
                return;
            }
            fatal = cause;
        }
        for (Chat chat : chats) {
            chat.cancel(); // a chat between two questions takes no next one
        }
    }
}
