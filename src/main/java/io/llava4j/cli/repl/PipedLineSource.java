package io.llava4j.cli.repl;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.jline.utils.Signals;

/**
 * Input from a plain stream (piped stdin, a file): one line is one input, UTF-8, no prompt and no
 * echo, so that scripts get only answers on stdout.
 */
public final class PipedLineSource implements LineSource {
    private final BufferedReader reader;
    private final boolean trapInterrupts;

    /**
     * @param in the stream to read; not closed by this source
     * @param trapInterrupts whether SIGINT during {@link #whileBusy} cancels the work instead of
     *     ending the process: true when this process reads its own stdin
     */
    public PipedLineSource(InputStream in, boolean trapInterrupts) {
        this.reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        this.trapInterrupts = trapInterrupts;
    }

    @Override
    public String readLine() {
        try {
            return reader.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the input: " + e.getMessage(), e);
        }
    }

    @Override
    public void whileBusy(Runnable work, Runnable onInterrupt) {
        if (!trapInterrupts) {
            work.run();
            return;
        }
        // JLine's wrapper of the JDK's signal API; null where the JVM does not offer one
        Object previous = Signals.register("INT", onInterrupt);
        try {
            work.run();
        } finally {
            if (previous != null) {
                Signals.unregister("INT", previous);
            }
        }
    }

    @Override
    public boolean interactive() {
        return false;
    }

    @Override
    public void close() {
        // stdin belongs to the process
    }
}
