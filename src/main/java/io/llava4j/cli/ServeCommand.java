package io.llava4j.cli;

import io.llava4j.conversation.LlavaModel;
import io.llava4j.serve.LlavaServer;
import io.llava4j.serve.ModelServer;
import io.llava4j.serve.ServeConfig;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code llava4j serve}: the OpenAI-compatible HTTP server. It listens before the model is loaded
 * ({@code /health} says 503 meanwhile), prints one {@code listening on http://HOST:PORT} line on
 * stdout once it answers, and on SIGINT or SIGTERM lets running answers finish (for a grace
 * period, then cancels them), frees the chats and closes the model.
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Serve the model over HTTP with OpenAI's Chat Completions API (images included).",
            "Endpoints: POST /v1/chat/completions, GET /v1/models, GET /health, GET /metrics.",
            "Without --model it serves the built-in demo pair with random weights."
        })
final class ServeCommand implements Callable<Integer> {
    /** The environment variable that holds the API key when --api-key is not given. */
    static final String API_KEY_ENV = "LLAVA4J_API_KEY";

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptionsMixin modelOptions;

    @Option(
            names = "--host",
            paramLabel = "ADDR",
            defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for every"
                    + " interface).")
    String host;

    @Option(
            names = "--port",
            paramLabel = "PORT",
            defaultValue = "8080",
            description = "TCP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(
            names = "--parallel",
            paramLabel = "N",
            defaultValue = "4",
            description = "Conversations answered at once, each with its own KV cache of --ctx positions"
                    + " (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(
            names = "--max-queue",
            paramLabel = "N",
            defaultValue = "64",
            description = "Requests that may wait for a free conversation; more get 429 (default: ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(
            names = "--api-key",
            paramLabel = "KEY",
            description = "Require 'Authorization: Bearer KEY' on every request but /health (default: $" + API_KEY_ENV
                    + " if set, else no key).")
    String apiKey;

    @Option(
            names = "--max-body",
            paramLabel = "SIZE",
            defaultValue = "32M",
            description = "Largest request body, e.g. 32M (default: ${DEFAULT-VALUE}); larger ones get 413.")
    String maxBody;

    @Option(
            names = "--allow-local-urls",
            description = "Let image URLs reach loopback, private and link-local addresses (refused by default:"
                    + " clients could otherwise probe this machine's network).")
    boolean allowLocalUrls;

    @Option(
            names = "--alias",
            paramLabel = "NAME",
            description = "The model id clients send (default: the language model's file name without .gguf).")
    String alias;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        modelOptions.validate(spec.commandLine(), false);
        long bodyLimit = Sizes.parseBytes(maxBody);
        if (bodyLimit < 1) {
            throw new ParameterException(spec.commandLine(), "--max-body " + maxBody + ": expected a size such as 32M");
        }
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), "--port " + port + ": expected 0 to 65535");
        }
        if (parallel < 1 || maxQueue < 0) {
            throw new ParameterException(spec.commandLine(), "--parallel must be >= 1 and --max-queue >= 0");
        }
        String key = apiKey != null ? apiKey : System.getenv(API_KEY_ENV);
        ServeConfig config = new ServeConfig(host, port, key, bodyLimit, allowLocalUrls);
        ModelOptionsMixin.ModelFiles files = modelOptions.files(err);
        String id = alias != null ? alias : modelId(files.model().getFileName().toString());

        LlavaServer server = LlavaServer.start(config, List.of(id));
        StreamingOutput progress = new StreamingOutput(out, err);
        LlavaModel model;
        try {
            model = modelOptions.open(files, progress, err, "seed random per request unless it sets one");
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        // SIGINT and SIGTERM run shutdown hooks: finish or cancel answers, free the chats, then the model
        Thread hook = new Thread(
                () -> {
                    server.close();
                    model.close();
                },
                "llava4j-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            ModelServer.attach(server, model, id, parallel, modelOptions.contextOptions(), maxQueue);
            out.println("listening on " + server.uri());
            out.flush();
            server.join();
        } finally {
            server.close();
            model.close();
        }
        return 0;
    }

    /** A model file's name without its {@code .gguf} extension. */
    static String modelId(String fileName) {
        return fileName.regionMatches(true, fileName.length() - 5, ".gguf", 0, 5)
                ? fileName.substring(0, fileName.length() - 5)
                : fileName;
    }
}
