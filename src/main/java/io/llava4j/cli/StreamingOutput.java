package io.llava4j.cli;

import io.llava4j.conversation.GenerationListener;
import io.llava4j.conversation.LoadListener;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import org.jline.terminal.spi.SystemStream;
import org.jline.terminal.spi.TerminalProvider;

/**
 * Prints the answer to stdout as it streams and, on stderr, a one-line progress display for model
 * loading, image encoding and prompt evaluation that is rewritten in place and erased before the answer starts.
 * Progress is shown only when stderr is a terminal, so logs and pipes stay clean.
 */
final class StreamingOutput implements GenerationListener, LoadListener {
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean showProgress;
    private boolean progressShown;

    StreamingOutput(PrintWriter out, PrintWriter err) {
        this(out, err, stderrIsTerminal());
    }

    private static Boolean stderrTerminal;

    /**
     * Whether stderr is a terminal, asked once per JVM through JLine (Java 17's {@code
     * System.console()} also needs stdin and stdout to be terminals, so {@code llava4j run > out.txt}
     * would lose its progress display).
     */
    static synchronized boolean stderrIsTerminal() {
        if (stderrTerminal == null) {
            boolean tty;
            try {
                tty = TerminalProvider.load("exec").isSystemStream(SystemStream.Error);
            } catch (Exception | LinkageError e) {
                tty = System.console() != null;
            }
            stderrTerminal = tty;
        }
        return stderrTerminal;
    }

    StreamingOutput(PrintWriter out, PrintWriter err, boolean showProgress) {
        this.out = out;
        this.err = err;
        this.showProgress = showProgress;
    }

    @Override
    public void onText(String piece) {
        clearProgress();
        out.print(piece);
        out.flush();
    }

    @Override
    public void onLoad(Path file, double fraction) {
        progress(String.format(
                Locale.ROOT, "loading %s: %s %3d%%", file.getFileName(), bar((int) (fraction * 1000), 1000), (int)
                        (fraction * 100)));
    }

    @Override
    public void onImageEncoding(int image, int images, int done, int total) {
        progress(String.format(
                Locale.ROOT, "encoding image %d/%d: %s %d/%d", image + 1, images, bar(done, total), done, total));
    }

    @Override
    public void onPrefill(int done, int total) {
        progress(String.format(Locale.ROOT, "reading the prompt: %s %d/%d", bar(done, total), done, total));
    }

    /** Erases the progress line, if one is shown. */
    void clearProgress() {
        if (progressShown) {
            err.print("\r\033[K");
            err.flush();
            progressShown = false;
        }
    }

    private void progress(String line) {
        if (!showProgress) {
            return;
        }
        err.print("\r\033[K" + line);
        err.flush();
        progressShown = true;
    }

    static String bar(int done, int total) {
        int width = 24;
        int filled = total <= 0 ? width : (int) ((long) done * width / total);
        return "[" + "#".repeat(filled) + " ".repeat(width - filled) + "]";
    }
}
