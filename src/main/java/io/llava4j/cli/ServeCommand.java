package io.llava4j.cli;

import io.llava4j.conversation.LlavaModel;
import io.llava4j.serve.LlavaServer;
import io.llava4j.serve.ModelServer;
import io.llava4j.serve.ServeConfig;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code llava4j serve}: the OpenAI-compatible HTTP server, for one model ({@code --model}) or
 * several ({@code --serve}, each under its own id). It listens before the models are loaded, one
 * after the other ({@code /health} says 503 meanwhile), prints one
 * {@code listening on http://HOST:PORT} line on stdout once every model answers, and on SIGINT or
 * SIGTERM lets running answers finish (for a grace period, then cancels them), frees every model's
 * chats and then closes the models.
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Serve one or several models over HTTP with OpenAI's Chat Completions API (images included).",
            "Endpoints: POST /v1/chat/completions, GET /v1/models, GET /health, GET /metrics.",
            "Several models: --model for the first, --serve for each further one; requests pick one by its id.",
            "--system is the system prompt of requests that send no system message (theirs wins).",
            "Without --model or --serve it serves the built-in demo pair with random weights."
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
            description =
                    "Conversations answered at once: sequences of one context, --ctx positions each, decoded together"
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
            names = "--idle-timeout",
            paramLabel = "DURATION",
            defaultValue = "30s",
            converter = DurationArg.Converter.class,
            description = "How long a connection may stay silent while the server waits for its client (sending a"
                    + " request, reading an answer) before it is closed, e.g. 30s, 2m, 500ms (default:"
                    + " ${DEFAULT-VALUE}). An answer being worked out is never cut short by it, however long it"
                    + " takes.")
    Duration idleTimeout;

    @Option(
            names = "--allow-local-urls",
            description = "Let image URLs reach loopback, private and link-local addresses (refused by default:"
                    + " clients could otherwise probe this machine's network).")
    boolean allowLocalUrls;

    @Option(
            names = "--alias",
            paramLabel = "NAME",
            description = "The --model's id, which clients send (default: the language model's file name without"
                    + " .gguf).")
    String alias;

    @Option(
            names = "--serve",
            paramLabel = "LM[,MM][,alias=ID]",
            converter = ServedModelArg.Converter.class,
            description = "Serve one more model: its language model (a file, an hf:// URI or a name downloaded with"
                    + " `llava4j pull`), its mmproj, and the id clients send (default: the file name without"
                    + " .gguf). Repeatable. Every model gets the same --parallel, --ctx, --threads, --kv-type,"
                    + " --gpu-layers and --max-queue; they load one after the other.")
    List<ServedModelArg> more = new ArrayList<>();

    /** A model to serve: its id and files. */
    record Served(String id, ModelOptionsMixin.ModelFiles files) {}

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
        if (alias != null && modelOptions.demo() && !more.isEmpty()) {
            throw new ParameterException(
                    spec.commandLine(), "--alias names the --model's id; give a --serve model its id with alias=ID");
        }
        String key = apiKey != null ? apiKey : System.getenv(API_KEY_ENV);
        ServeConfig config = new ServeConfig(host, port, key, bodyLimit, allowLocalUrls, idleTimeout);
        List<Served> served = served(err);

        LlavaServer server =
                LlavaServer.start(config, served.stream().map(Served::id).toList());
        Running running = new Running(server);
        // SIGINT and SIGTERM run shutdown hooks: finish or cancel answers, free the chats, then the models
        Runtime.getRuntime().addShutdownHook(new Thread(running::close, "llava4j-serve-shutdown"));
        try {
            StreamingOutput progress = new StreamingOutput(out, err);
            for (Served s : served) {
                if (served.size() > 1) {
                    err.println("llava4j: loading " + s.id() + " (" + s.files().model() + ")");
                    err.flush();
                }
                LlavaModel model =
                        modelOptions.open(s.files(), progress, err, "seed random per request unless it sets one");
                if (!running.serve(
                        model,
                        () -> ModelServer.attach(
                                server,
                                model,
                                s.id(),
                                parallel,
                                modelOptions.contextOptions(),
                                maxQueue,
                                modelOptions.system))) {
                    return 0; // stopped by a signal while loading
                }
            }
            out.println("listening on " + server.uri());
            out.flush();
            server.join();
        } finally {
            running.close();
        }
        return 0;
    }

    /**
     * The models to serve, in order: {@code --model}'s (the demo pair when neither {@code --model}
     * nor {@code --serve} is given), then each {@code --serve}'s.
     *
     * @throws ParameterException if two models would have one id
     */
    private List<Served> served(PrintWriter err) {
        List<Served> list = new ArrayList<>();
        if (!modelOptions.demo() || more.isEmpty()) {
            ModelOptionsMixin.ModelFiles files = modelOptions.files(err);
            list.add(new Served(
                    alias != null ? alias : modelId(files.model().getFileName().toString()), files));
        }
        for (ServedModelArg arg : more) {
            ModelOptionsMixin.ModelFiles files = ModelOptionsMixin.resolve(arg.model(), arg.mmproj());
            String id = arg.alias() != null
                    ? arg.alias()
                    : modelId(files.model().getFileName().toString());
            list.add(new Served(id, files));
        }
        Map<String, Served> byId = new HashMap<>();
        for (Served s : list) {
            Served other = byId.putIfAbsent(s.id(), s);
            if (other != null) {
                throw new ParameterException(
                        spec.commandLine(),
                        "two models would be served as '" + s.id() + "': "
                                + other.files().model() + " and "
                                + s.files().model()
                                + "; give one another id (--alias for --model, alias=ID in --serve)");
            }
        }
        return list;
    }

    /**
     * The server and the models loaded so far, closed once: by the shutdown hook on a signal, or
     * when {@code call} ends. Every model's chats are freed (with the server) before any model.
     */
    private static final class Running {
        private final LlavaServer server;
        private final List<LlavaModel> models = new ArrayList<>();
        private boolean closed;

        Running(LlavaServer server) {
            this.server = server;
        }

        /**
         * Keeps {@code model} to close it last and runs {@code attach}, both unless a signal already
         * stopped the server (then the model is closed at once).
         *
         * @return false if stopped
         */
        synchronized boolean serve(LlavaModel model, Runnable attach) {
            if (closed) {
                model.close();
                return false;
            }
            models.add(model);
            attach.run();
            return true;
        }

        synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                server.close();
            } finally {
                models.forEach(LlavaModel::close);
            }
        }
    }

    /** A model file's name without its {@code .gguf} extension. */
    static String modelId(String fileName) {
        return fileName.regionMatches(true, fileName.length() - 5, ".gguf", 0, 5)
                ? fileName.substring(0, fileName.length() - 5)
                : fileName;
    }
}
