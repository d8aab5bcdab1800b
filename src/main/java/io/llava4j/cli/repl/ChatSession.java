package io.llava4j.cli.repl;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.conversation.Chat;
import io.llava4j.conversation.ContextPolicy;
import io.llava4j.conversation.FinishReason;
import io.llava4j.conversation.GenerationResult;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.image.ChatImage;
import io.llava4j.model.ContextOptions;
import io.llava4j.template.Message;
import io.llava4j.template.Role;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The state of one {@code llava4j chat} session and what each input line does to it: a slash
 * command, or a question that is answered, streaming, on stdout.
 *
 * <p>A failing line (bad path, unreadable image, unknown command, bad value) prints one message on
 * stderr and changes nothing: the conversation, the images waiting for the next question and the
 * settings stay as they were. Messages, hints and statistics go to stderr; stdout holds only
 * answers. Not thread-safe: one thread handles lines; only the cancel passed to {@link
 * LineSource#whileBusy} comes from another.
 */
public final class ChatSession implements AutoCloseable {
    /** The commands, for {@code /help} and completion. */
    static final List<String> COMMANDS =
            List.of("/image", "/clear", "/save", "/load", "/system", "/set", "/stats", "/help", "/quit");

    private static final String HELP = String.join(
            System.lineSeparator(),
            "Type a question and press Enter; the answer streams on stdout. Commands:",
            "  /image PATH|URL   attach an image to the next question (repeat for several)",
            "  /clear            forget the conversation and the images not yet asked about",
            "  /save FILE        save the conversation, its settings and the KV cache (resume without re-reading)",
            "  /load FILE        resume a conversation saved with this model",
            "  /system TEXT      set the system prompt; /system alone restores the template's",
            "  /set NAME VALUE   change a setting: " + String.join(", ", SettingsEditor.NAMES)
                    + "; /set alone shows them",
            "  /stats            token counts and timings of the last answer and the session",
            "  /help             this text",
            "  /quit             leave (also Ctrl-D; Ctrl-C at the prompt)",
            "Ctrl-C while an answer streams stops it; the conversation stays usable.",
            "A line starting with // is a question starting with /.");

    private final LlavaModel model;
    private final ContextOptions contextOptions;
    private final LineSource console;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Supplier<AnswerStream> answers;
    private final List<ChatImage> waiting = new ArrayList<>();
    private final TurnStats stats = new TurnStats();
    private Chat chat;
    private String systemPrompt;
    private GenerationSettings settings;
    private int failures;

    /**
     * Opens a conversation on {@code model}; the session closes it, never the model.
     *
     * @param systemPrompt null for the template's
     * @param console where interrupts during an answer come from
     * @param answers a new stream for each answer: its text to {@code out}, progress to {@code err}
     * @param out answers (the line end after each is written here)
     * @param err everything else
     */
    public ChatSession(
            LlavaModel model,
            ContextOptions contextOptions,
            String systemPrompt,
            GenerationSettings settings,
            LineSource console,
            Supplier<AnswerStream> answers,
            PrintWriter out,
            PrintWriter err) {
        this.model = model;
        this.contextOptions = contextOptions;
        this.systemPrompt = systemPrompt;
        this.settings = settings;
        this.console = console;
        this.answers = answers;
        this.out = out;
        this.err = err;
        this.chat = newChat();
    }

    /** Attaches an image (already loaded) to the next question, as {@code /image} does. */
    public void attach(ChatImage image) {
        requireVision();
        waiting.add(image);
    }

    /** How many input lines failed so far. */
    public int failures() {
        return failures;
    }

    /**
     * Handles one input line. Never throws for bad input: failures are reported on stderr and
     * counted in {@link #failures()}.
     *
     * @return false when the user asked to quit
     */
    public boolean handle(String line) {
        try {
            return dispatch(line.strip());
        } catch (RuntimeException e) {
            failures++;
            String message = e instanceof Llava4jException le
                    ? le.getMessage()
                    : e.getClass().getSimpleName() + ": " + e.getMessage();
            err.println("error: " + message);
            if (Boolean.getBoolean("llava4j.debug")) {
                e.printStackTrace(err);
            }
            err.flush();
            return true;
        }
    }

    private boolean dispatch(String line) {
        if (line.isEmpty()) {
            return true;
        }
        if (!line.startsWith("/") || line.startsWith("//")) {
            ask(line.startsWith("//") ? line.substring(1) : line);
            return true;
        }
        int space = line.indexOf(' ');
        String command = space < 0 ? line : line.substring(0, space);
        String arg = space < 0 ? "" : line.substring(space + 1).strip();
        switch (command) {
            case "/quit", "/exit" -> {
                return false;
            }
            case "/image" -> image(arg);
            case "/clear" -> clear();
            case "/save" -> save(arg);
            case "/load" -> load(arg);
            case "/system" -> system(arg);
            case "/set" -> set(arg);
            case "/stats" -> info(stats.describe());
            case "/help" -> info(HELP);
            default ->
                throw new Llava4jException(Code.INVALID_ARGUMENT, "unknown command " + command + " (/help lists them)");
        }
        return true;
    }

    private void image(String source) {
        if (source.isEmpty()) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "usage: /image PATH|URL");
        }
        requireVision();
        ChatImage image = ChatImage.load(source); // throws before anything is attached
        waiting.add(image);
        info("image " + waiting.size() + " (" + image.pixels().width() + "x"
                + image.pixels().height() + ") attached to the next question");
    }

    private void clear() {
        chat.clear();
        int dropped = waiting.size();
        waiting.clear();
        info("conversation cleared" + (dropped == 0 ? "" : " (and " + dropped + " attached image(s))"));
    }

    private void save(String file) {
        if (file.isEmpty()) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "usage: /save FILE");
        }
        chat.setSettings(settings);
        chat.save(Path.of(file), true);
        info("saved " + chat.turns().size() + " turns and " + chat.positions() + " evaluated positions to " + file);
    }

    private void load(String file) {
        if (file.isEmpty()) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "usage: /load FILE");
        }
        Chat loaded = model.resume(Path.of(file), contextOptions); // throws before the session changes
        loaded.setContextPolicy(ContextPolicy.DROP_OLDEST_TURNS);
        chat.close();
        chat = loaded;
        settings = loaded.settings();
        systemPrompt = loaded.systemPrompt();
        waiting.clear();
        info("loaded " + loaded.turns().size() + " turns from " + file + " (" + loaded.positions()
                + " positions restored, nothing to evaluate again)");
    }

    private void system(String text) {
        systemPrompt = text.isEmpty() ? null : text;
        chat.setSystemPrompt(systemPrompt);
        info(systemPrompt == null ? "system prompt: the template's" : "system prompt set");
    }

    private void set(String arg) {
        if (arg.isEmpty()) {
            info(SettingsEditor.describe(settings));
            return;
        }
        String[] parts = arg.split("\\s+", 2);
        if (parts.length < 2) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT,
                    "usage: /set NAME VALUE, NAME one of " + String.join(", ", SettingsEditor.NAMES));
        }
        settings = SettingsEditor.apply(settings, parts[0], parts[1]);
        info(SettingsEditor.describe(settings));
    }

    private void ask(String question) {
        List<ChatImage> images = List.copyOf(waiting);
        chat.addUser(question, images); // checks markers and vision before the question enters the chat
        waiting.clear();
        AnswerStream stream = answers.get();
        GenerationResult[] result = new GenerationResult[1];
        RuntimeException[] failure = new RuntimeException[1];
        console.whileBusy(
                () -> {
                    try {
                        result[0] = chat.generate(settings, stream);
                    } catch (RuntimeException e) {
                        failure[0] = e;
                    }
                },
                chat::cancel);
        stream.finish();
        if (failure[0] != null) {
            takeBack(images);
            throw failure[0];
        }
        List<Message> turns = chat.turns();
        if (turns.get(turns.size() - 1).role() == Role.USER) {
            // stopped while the prompt was read: no answer was started, so the question goes
            takeBack(images);
            info("[stopped before the answer began: the question was taken back"
                    + (images.isEmpty() ? "]" : ", its images stay attached]"));
            return;
        }
        out.println();
        out.flush();
        GenerationResult r = result[0];
        stats.add(r);
        if (r.droppedTurns() > 0) {
            info("[the context was full: the oldest " + r.droppedTurns() + " turns were dropped]");
        }
        if (r.finishReason() == FinishReason.CANCELLED) {
            info("[answer stopped; what was said so far stays in the conversation]");
        } else if (r.finishReason() == FinishReason.LENGTH) {
            info(
                    r.generatedTokens() >= settings.maxTokens()
                            ? "[answer cut at max-tokens " + settings.maxTokens()
                                    + "; /set max-tokens N for longer ones]"
                            : "[answer cut: the context is full; /clear to start again]");
        }
    }

    /** Removes an unanswered question from the chat; its images wait for the next question again. */
    private void takeBack(List<ChatImage> images) {
        chat.removeLastTurn();
        waiting.addAll(0, images);
    }

    private void requireVision() {
        if (!model.canSee()) {
            throw new Llava4jException(
                    Code.INVALID_ARGUMENT, "this model was opened without --mmproj: it cannot see images");
        }
    }

    private Chat newChat() {
        Chat c = model.newChat(contextOptions);
        c.setSystemPrompt(systemPrompt);
        c.setContextPolicy(ContextPolicy.DROP_OLDEST_TURNS);
        return c;
    }

    private void info(String message) {
        err.println(message);
        err.flush();
    }

    /** Closes the conversation's context; the model stays open. */
    @Override
    public void close() {
        chat.close();
    }
}
