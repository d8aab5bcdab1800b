package io.llava4j.cli;

import io.llava4j.cli.repl.AnswerStream;
import io.llava4j.cli.repl.ChatSession;
import io.llava4j.cli.repl.LineSource;
import io.llava4j.cli.repl.PipedLineSource;
import io.llava4j.cli.repl.TerminalLineSource;
import io.llava4j.conversation.GenerationSettings;
import io.llava4j.conversation.LlavaModel;
import io.llava4j.image.ChatImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.terminal.spi.SystemStream;
import org.jline.terminal.spi.TerminalProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code llava4j chat}: an interactive conversation about images. On a terminal it has a line
 * editor with history; with piped stdin every line is one input and nothing but answers reaches
 * stdout, for scripts.
 *
 * <p>Exit codes: 0 after {@code /quit}, end of input or Ctrl-C at the prompt; 1 if the model cannot
 * be opened, an {@code --image} cannot be read, or (piped input only) any input line failed, so
 * that scripts notice; 2 for usage errors.
 */
@Command(
        name = "chat",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Chat about images: questions, follow-ups and /commands (/help lists them).",
            "Answers stream to stdout; prompts, messages and statistics go to stderr.",
            "With piped stdin, one line is one input (a question or a /command)."
        })
final class ChatCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptionsMixin modelOptions;

    @Option(
            names = {"-i", "--image"},
            paramLabel = "IMG",
            description = "Image for the first question: path, http(s) URL or data: URI; repeat for several.")
    List<String> images = new ArrayList<>();

    @Mixin
    SamplingOptionsMixin sampling;

    /** A terminal to use instead of the process's own; tests pass a virtual one. */
    Terminal terminal;

    /** Piped input to read instead of stdin; tests pass a stream. */
    InputStream input;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        modelOptions.validate(spec.commandLine(), !images.isEmpty());
        GenerationSettings settings = sampling.settings();
        // read the images before the model: a wrong path should not cost a model load
        List<ChatImage> first = new ArrayList<>();
        for (String image : images) {
            first.add(ChatImage.load(image));
        }
        ModelOptionsMixin.ModelFiles files = modelOptions.files(err);
        StreamingOutput loading = new StreamingOutput(out, err);
        try (LineSource console = openConsole(err);
                LlavaModel llava = modelOptions.open(files, loading, err, sampling.seed());
                ChatSession session = new ChatSession(
                        llava,
                        modelOptions.contextOptions(),
                        modelOptions.system,
                        settings,
                        console,
                        () -> answerStream(out, err),
                        out,
                        err)) {
            for (ChatImage image : first) {
                session.attach(image);
            }
            if (console.interactive()) {
                err.println("Ask about " + (first.isEmpty() ? "images (/image PATH attaches one)" : "the image")
                        + "; /help lists the commands, Ctrl-D quits.");
            }
            err.flush();
            String line;
            while ((line = console.readLine()) != null) {
                if (!session.handle(line)) {
                    break;
                }
            }
            if (!console.interactive() && session.failures() > 0) {
                err.println("llava4j: " + session.failures() + " input line(s) failed");
                err.flush();
                return 1;
            }
            return 0;
        }
    }

    /** The answer on stdout, with {@code run}'s progress display on stderr (shown on a terminal only). */
    private static AnswerStream answerStream(PrintWriter out, PrintWriter err) {
        StreamingOutput s = new StreamingOutput(out, err);
        return new AnswerStream() {
            @Override
            public void onText(String piece) {
                s.onText(piece);
            }

            @Override
            public void onImageEncoding(int image, int images, int done, int total) {
                s.onImageEncoding(image, images, done, total);
            }

            @Override
            public void onPrefill(int done, int total) {
                s.onPrefill(done, total);
            }

            @Override
            public void finish() {
                s.clearProgress();
            }
        };
    }

    private LineSource openConsole(PrintWriter err) throws IOException {
        if (terminal != null) {
            return new TerminalLineSource(terminal);
        }
        if (input != null) {
            return new PipedLineSource(input, false);
        }
        if (stdinIsTerminal()) {
            try {
                // the terminal writes to stderr: prompts and echo never mix with answers on stdout
                return new TerminalLineSource(TerminalBuilder.builder()
                        .system(true)
                        .dumb(false)
                        .systemOutput(TerminalBuilder.SystemOutput.SysErr)
                        .build());
            } catch (IllegalStateException | IOException e) {
                err.println("llava4j: no line editor (" + e.getMessage() + "): reading stdin line by line");
            }
        }
        return new PipedLineSource(System.in, true);
    }

    /** Asks JLine's native, then its exec-based provider whether stdin is a terminal. */
    private static boolean stdinIsTerminal() {
        for (String provider : List.of("jni", "exec")) {
            try {
                return TerminalProvider.load(provider).isSystemStream(SystemStream.Input);
            } catch (IOException | RuntimeException | LinkageError e) {
                // this provider does not work on this platform: try the next
            }
        }
        return false;
    }
}
