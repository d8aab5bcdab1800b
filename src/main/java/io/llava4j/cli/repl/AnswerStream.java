package io.llava4j.cli.repl;

import io.llava4j.conversation.GenerationListener;

/**
 * Where one answer goes while it is generated: its text (stdout) and any progress display
 * (stderr) for image encoding and prompt evaluation.
 */
public interface AnswerStream extends GenerationListener {
    /** Generation has ended (answered, stopped or failed): erase any progress display. */
    void finish();
}
