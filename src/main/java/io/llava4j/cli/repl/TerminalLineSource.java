package io.llava4j.cli.repl;

import java.util.List;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.completer.StringsCompleter;
import org.jline.terminal.Terminal;
import org.jline.terminal.Terminal.Signal;
import org.jline.terminal.Terminal.SignalHandler;

/**
 * Input from a terminal through JLine: line editing, in-session history (up/down, Ctrl-R),
 * completion of the slash commands. The prompt and the echo go to the terminal's output (stderr
 * for the system terminal), never to stdout, which holds only answers.
 */
public final class TerminalLineSource implements LineSource {
    static final String PROMPT = "> ";

    private final Terminal terminal;
    private final LineReader reader;
    private boolean closed;

    /**
     * @param terminal the terminal to read from; this source closes it
     */
    public TerminalLineSource(Terminal terminal) {
        this.terminal = terminal;
        this.reader = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("llava4j")
                .completer(new StringsCompleter(List.copyOf(ChatSession.COMMANDS)))
                // questions often contain '!', which history expansion would rewrite
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                // a pasted multi-line question stays one input per line, as typed
                .option(LineReader.Option.BRACKETED_PASTE, false)
                .build();
    }

    @Override
    public String readLine() {
        try {
            return reader.readLine(PROMPT);
        } catch (UserInterruptException | EndOfFileException e) {
            return null;
        }
    }

    @Override
    public void whileBusy(Runnable work, Runnable onInterrupt) {
        SignalHandler previous = terminal.handle(Signal.INT, signal -> onInterrupt.run());
        try {
            work.run();
        } finally {
            terminal.handle(Signal.INT, previous);
        }
    }

    @Override
    public boolean interactive() {
        return true;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            terminal.close();
        } catch (java.io.IOException e) {
            // the terminal's attributes could not be restored: nothing more can be done at exit
        }
    }
}
