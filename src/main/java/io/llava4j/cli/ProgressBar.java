package io.llava4j.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A progress bar on stderr for long commands ({@code quantize}, {@code pull}).
 *
 * <p>On a terminal it redraws one line in place ({@code \r}), at most ten times a second. When
 * stderr is a file or pipe (logs, CI, tests) carriage returns would pile up, so it prints a plain
 * line at every tenth of the way instead, and always the final state.
 *
 * <p>Not thread-safe: feed it from one thread.
 */
final class ProgressBar {
    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final String label;
    private final boolean interactive;
    private long lastDraw;
    private int lastTenth = -1;
    private String lastLine = "";
    private String lastPrinted = "";
    private boolean finished;

    /**
     * @param err where to draw (the command's stderr)
     * @param label what is in progress, e.g. the file name
     * @param interactive redraw in place (stderr is a terminal) rather than print lines
     */
    ProgressBar(PrintWriter err, String label, boolean interactive) {
        this.err = err;
        this.label = label;
        this.interactive = interactive;
    }

    /** A bar that redraws in place when the JVM has a console, else prints lines. */
    static ProgressBar forConsole(PrintWriter err, String label) {
        return new ProgressBar(err, label, StreamingOutput.stderrIsTerminal());
    }

    /**
     * Shows progress.
     *
     * @param done units done (bytes, tensors)
     * @param total units in all, or a value below 1 when unknown (then only {@code counter} is shown)
     * @param counter the done/total text, e.g. "12/291 tensors" or "1.2 GiB / 3.8 GiB"
     */
    void update(long done, long total, String counter) {
        double fraction = total > 0 ? Math.min(1.0, (double) done / total) : 0;
        String line = render(fraction, total > 0, counter);
        if (interactive) {
            long now = System.nanoTime();
            if (now - lastDraw >= REDRAW_NANOS || fraction >= 1.0) {
                lastDraw = now;
                err.print("\r" + line + pad(lastLine.length() - line.length()));
                err.flush();
            }
        } else {
            int tenth = (int) Math.floor(fraction * 10);
            if (tenth > lastTenth) {
                lastTenth = tenth;
                lastPrinted = line;
                err.println(line);
                err.flush();
            }
        }
        lastLine = line;
    }

    /** Ends the bar (a newline on a terminal); idempotent. */
    void finish() {
        if (finished) {
            return;
        }
        finished = true;
        if (interactive) {
            err.print("\r" + lastLine);
            err.println();
        } else if (!lastLine.equals(lastPrinted)) {
            err.println(lastLine);
        }
        err.flush();
    }

    private String render(double fraction, boolean known, String counter) {
        if (!known) {
            return label + "  " + counter;
        }
        int filled = (int) Math.round(fraction * WIDTH);
        return String.format(
                Locale.ROOT,
                "%s [%s%s] %3d%%  %s",
                label,
                "=".repeat(filled),
                " ".repeat(WIDTH - filled),
                (int) Math.floor(fraction * 100),
                counter);
    }

    private static String pad(int n) {
        return n > 0 ? " ".repeat(n) : "";
    }
}
