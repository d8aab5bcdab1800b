package io.llava4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code llava4j} command. {@link #main} is the only place that calls {@link System#exit}.
 *
 * <p>Exit codes: 0 success, 1 failure (bad file, model error), 2 usage error.
 */
@Command(
        name = "llava4j",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Chat about images with LLaVA-family models on quantized GGUF weights.",
        subcommands = {
            RunCommand.class,
            BenchCommand.class,
            ChatCommand.class,
            AnswerCommand.class,
            ServeCommand.class,
            ConvertCommand.class,
            QuantizeCommand.class,
            PullCommand.class,
            InfoCommand.class,
            RpcServerCommand.class,
            TokenizeCommand.class,
            PreprocessCommand.class,
            EncodeCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main {
    private Main() {}

    /** Builds the command line with llava4j's error handling; tests drive this directly. */
    public static CommandLine commandLine() {
        CommandLine cmd = new CommandLine(new Main());
        cmd.setExecutionExceptionHandler(new ErrorHandler());
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        return cmd;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
