package io.llava4j.cli;

import io.llava4j.Llava4jException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns failures into one line on stderr and exit code 1; a stack trace only with {@code
 * -Dllava4j.debug=true}. Usage errors (exit 2) are picocli's own.
 */
final class ErrorHandler implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
        String message = e instanceof Llava4jException le
                ? "error: " + le.getMessage()
                : "error: " + e.getClass().getSimpleName() + ": " + e.getMessage();
        cmd.getErr().println(cmd.getColorScheme().errorText(message));
        if (Boolean.getBoolean("llava4j.debug")) {
            e.printStackTrace(cmd.getErr());
        }
        return 1;
    }
}
