package io.llava4j.serve;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import java.net.URI;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The OpenAI-compatible HTTP server: Jetty with one {@link ApiHandler}. It listens as soon as it
 * starts, answering {@code /health} with 503 until {@link #ready} gives it an engine, so that a
 * load balancer or a supervisor sees a server that is loading rather than one that is down.
 *
 * <p>Thread-safe. {@link #close()} shuts the engine down (running requests get a grace period,
 * then are cancelled), stops Jetty and frees the engine's sequences; the model stays with its owner.
 */
public final class LlavaServer implements AutoCloseable {
    /** How long running completions may go on after a shutdown begins before they are cancelled. */
    static final long SHUTDOWN_GRACE_MILLIS = 10_000;

    private final Server server;
    private final ServerConnector connector;
    private final ApiHandler handler;
    private volatile CompletionEngine engine;
    private boolean closed;

    private LlavaServer(ServeConfig config) {
        QueuedThreadPool threads = new QueuedThreadPool(200, 8);
        threads.setName("llava4j-http");
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        server.addConnector(connector);
        handler = new ApiHandler(config, new ServerMetrics());
        server.setHandler(handler);
    }

    /**
     * Binds and starts answering (503 until {@link #ready}).
     *
     * @throws Llava4jException {@code IO} if the address cannot be bound
     */
    public static LlavaServer start(ServeConfig config) {
        LlavaServer s = new LlavaServer(config);
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

    /** Starts answering completions with {@code e}, which this server then owns (shuts down). */
    void ready(CompletionEngine e) {
        this.engine = e;
        handler.ready(e);
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
     * and are then cancelled, Jetty stops and the engine's sequences are freed. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        CompletionEngine e = engine;
        if (e != null) {
            e.shutdown(SHUTDOWN_GRACE_MILLIS);
        }
        try {
            server.stop();
        } catch (Exception ex) {
            throw new Llava4jException(Code.IO, "stopping the HTTP server failed: " + ex.getMessage(), ex);
        }
    }
}
