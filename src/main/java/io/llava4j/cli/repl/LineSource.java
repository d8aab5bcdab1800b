package io.llava4j.cli.repl;

/**
 * Where {@code llava4j chat} reads its input from: a terminal with a line editor, or a plain
 * stream (piped stdin) where one line is one input. Used from one thread, except that an
 * interrupt handler given to {@link #whileBusy} runs on whichever thread delivers the interrupt.
 */
public interface LineSource extends AutoCloseable {
    /**
     * Reads the next input.
     *
     * @return the line without its line ending, or null at the end of input (EOF, Ctrl-D) or when
     *     the user interrupts (Ctrl-C) an idle prompt: both end the session cleanly
     */
    String readLine();

    /**
     * Runs {@code work}; an interrupt (Ctrl-C) that arrives meanwhile calls {@code onInterrupt}
     * instead of ending the process. The usual interrupt behaviour is back when this returns.
     */
    void whileBusy(Runnable work, Runnable onInterrupt);

    /** True for a terminal: prompts and hints are shown; false for piped input. */
    boolean interactive();

    /** Restores the terminal if there is one; never closes stdin or stdout. Idempotent. */
    @Override
    void close();
}
