package io.llava4j.serve;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.net.URI;
import java.util.List;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The OpenAI-compatible HTTP server: Jetty with one {@link ApiHandler}, serving one or more models
 * under the ids it was started with. It listens as soon as it starts, answering {@code /health}
 * with 503 until {@link #add} has given it an engine for every id, so that a load balancer or a
 * supervisor sees a server that is loading rather than one that is down. Models that are loaded
 * answer meanwhile.
 *
 * <p>Thread-safe. {@link #close()} shuts every engine down (running requests get a grace period,
 * then are cancelled), stops Jetty and frees the engines' sequences; the models stay with their
 * owner, who closes them after the server.
 */
public final class LlavaServer implements AutoCloseable {
    /** How long running completions may go on after a shutdown begins before they are cancelled. */
    static final long SHUTDOWN_GRACE_MILLIS = 10_000;

    private final Server server;
    private final ServerConnector connector;
    private final ApiHandler handler;
    private final ServedModels models;
    private boolean closed;

    private LlavaServer(ServeConfig config, List<String> modelIds) {
        models = new ServedModels(modelIds);
        QueuedThreadPool threads = new QueuedThreadPool(200, 8);
        threads.setName("llava4j-http");
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(config.idleTimeout().toMillis());
        server.addConnector(connector);
        handler = new ApiHandler(config, new ServerMetrics(), models);
        server.setHandler(handler);
    }

    /**
     * Binds and starts answering (503 until {@link #add} has an engine for every id).
     *
     * @param modelIds the ids of the models it will serve, in the order {@code /v1/models} lists
     *     them; a request without {@code model} is answered only when there is one
     * @throws IllegalArgumentException if there is no id, or one is blank or given twice
     * @throws Llava4jException {@code IO} if the address cannot be bound
     */
    public static LlavaServer start(ServeConfig config, List<String> modelIds) {
        LlavaServer s = new LlavaServer(config, modelIds);
        try {
            s.server.start();
        } catch (Exception e) {
            try {
                s.server.stop();
            } catch (Exception ignored) {
                // the bind failure is what matters
            }
            throw new Llava4jException(
                    Code.IO, "cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        return s;
    }

    /**
     * Starts answering completions for {@code e}'s model with {@code e}, which this server then
     * owns (shuts down).
     *
     * @throws IllegalArgumentException if its id is not one the server was started with, or has an engine
     * @throws Llava4jException {@code CLOSED} (after shutting {@code e} down) once the server is closing
     */
    void add(CompletionEngine e) {
        handler.add(e);
    }

    /** The ids the server was started with. */
    public List<String> modelIds() {
        return models.ids();
    }

    /** The port listened on (the one chosen when the configuration said 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** {@code http://host:port}, as clients reach it. */
    public URI uri() {
        String host = connector.getHost();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + port());
    }

    /** Blocks until the server has stopped. */
    public void join() throws InterruptedException {
        server.join();
    }

    /**
     * Stops: new completions are refused, running ones get {@link #SHUTDOWN_GRACE_MILLIS} to finish
     * (every model's at the same time) and are then cancelled, every engine's sequences are freed
     * and Jetty stops. An engine added later is shut down at once. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        models.shutdown(SHUTDOWN_GRACE_MILLIS);
        try {
            server.stop();
        } catch (Exception ex) {
            throw new Llava4jException(Code.IO, "stopping the HTTP server failed: " + ex.getMessage(), ex);
        }
    }
}
