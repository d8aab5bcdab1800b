package io.llava4j.serve;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CancellationException;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Callback;

/**
 * Cancels a completion as soon as its HTTP/1.x client closes or resets the connection, while the
 * request is being answered, without reading a byte of the connection and without polling.
 *
 * <p>What Jetty (12.1, core API) does: an HTTP/1.x connection reads its socket for a request's
 * head and body, and again only once the response is complete. While the handler runs after the
 * body was read, no read interest is registered with the selector, so a client that goes away
 * (FIN or RST) is not noticed until a write fails: at the next token for a streamed answer, at
 * the very end for a non-streamed one. {@code Request.addFailureListener} hears of read failures,
 * idle timeouts and aborts, never of this; {@code Request.demand} after the last chunk calls back
 * at once (the request's end-of-content is remembered) without looking at the socket; no
 * {@code HttpConfiguration} setting makes the connection read ahead. HTTP/2 and HTTP/3 do read
 * all the time and fail the request (its failure listeners) when the client resets the stream or
 * closes the connection, so this class leaves them alone.
 *
 * <p>How: once the body is read, {@link #start} registers read interest on the connection's
 * socket endpoint ({@code EndPoint.tryFillInterested}) with this object as the callback, which
 * the selector runs (on a pool thread) when the socket becomes readable. That happens for one of
 * two reasons, told apart by the bytes the kernel holds ready ({@code available()}, FIONREAD),
 * which reads nothing: none means the peer closed or reset the connection, so the completion is
 * cancelled; some mean a pipelined next request, so the watch ends there and leaves the bytes to
 * Jetty. {@link #close()} withdraws the interest ({@code FillInterest.onFail}) and must come
 * before the response is completed: Jetty then registers read interest of its own for the next
 * request, and aborts the connection if another one is still registered ("Pending read in
 * onCompleted"). Keep-alive and pipelining are therefore untouched.
 *
 * <p>Limits: a client that only half-closes (shuts down its output, still reading) cannot be
 * told from one that went away, and is cancelled like one. After a pipelined request arrives,
 * the current one is no longer watched. Only plain TCP sockets are watched: with TLS the bytes
 * the kernel holds say nothing about what the TLS layer has buffered, and Unix-domain channels
 * have no {@code available()}; those, like HTTP/2, get no more than the failure listeners.
 *
 * <p>Thread-safe: the callback runs on a Jetty thread while the request's thread may close.
 */
final class DisconnectWatch implements Callback, AutoCloseable {
    private final SocketChannelEndPoint endPoint;
    private final Cancellation cancellation;
    /** Whether our read interest is still registered; guarded by this. */
    private boolean registered;
    /** Guarded by this. */
    private boolean closed;
    /** Readable wake-ups in a row with nothing to read; guarded by this. */
    private int emptyWakes;

    private DisconnectWatch(SocketChannelEndPoint endPoint, Cancellation cancellation) {
        this.endPoint = endPoint;
        this.cancellation = cancellation;
    }

    /**
     * Starts watching {@code request}'s connection, whose body must have been read to its end:
     * {@code cancellation} is cancelled if the client goes away before {@link #close()}. A
     * request on a connection that cannot be watched (see the class comment) gets a watch that
     * does nothing.
     */
    static DisconnectWatch start(Request request, Cancellation cancellation) {
        DisconnectWatch watch = new DisconnectWatch(socketOf(request), cancellation);
        watch.register();
        return watch;
    }

    /** The plain TCP endpoint under an HTTP/1.x request; null when there is none. */
    private static SocketChannelEndPoint socketOf(Request request) {
        ConnectionMetaData meta = request.getConnectionMetaData();
        HttpVersion version = meta.getHttpVersion();
        if (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) {
            return null;
        }
        Connection connection = meta.getConnection();
        if (connection.getEndPoint() instanceof SocketChannelEndPoint socket
                // not upgraded or tunnelled away from this request's connection
                && socket.getConnection() == connection
                && socket.getRemoteSocketAddress() instanceof InetSocketAddress) {
            return socket;
        }
        return null;
    }

    private synchronized void register() {
        if (endPoint == null || closed) {
            return;
        }
        // before the call: the callback may run (and clear it) before tryFillInterested returns
        registered = true;
        if (!endPoint.tryFillInterested(this)) {
            // someone else reads this connection: not the state this class expects, so stay out
            registered = false;
        }
    }

    /**
     * The socket is readable: cancels unless what is there is more request bytes. A readiness
     * with nothing to read is believed the second time in a row only: an end of stream or a reset
     * stays readable, so the selector reports it again at once, while a readiness left over from
     * the request's own bytes (already read by Jetty) does not come back. Believing the first one
     * cancelled an occasional request on a healthy keep-alive connection.
     */
    @Override
    public void succeeded() {
        boolean again;
        synchronized (this) {
            registered = false;
            if (closed || bytesReady()) {
                return;
            }
            again = ++emptyWakes < 2;
        }
        if (again) {
            register();
            return;
        }
        cancellation.cancel();
    }

    /**
     * Readable with nothing to read means end-of-stream or a reset; some bytes mean a pipelined
     * request (left where they are, for Jetty).
     */
    private boolean bytesReady() {
        try {
            return endPoint.getChannel().socket().getInputStream().available() > 0;
        } catch (IOException e) {
            return false; // closed meanwhile
        }
    }

    /** The interest was withdrawn: by {@link #close()}, or because the connection closed. */
    @Override
    public void failed(Throwable x) {
        synchronized (this) {
            registered = false;
            if (closed) {
                return;
            }
        }
        cancellation.cancel();
    }

    /**
     * Stops watching (idempotent); call it before completing the response. After it returns the
     * watch no longer cancels.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (!registered) {
                return;
            }
            registered = false;
        }
        // Nothing else registers read interest while the request is answered, so the callback
        // withdrawn is this one (or none, if the selector has just taken it: then it sees closed).
        endPoint.getFillInterest().onFail(new CancellationException("the request was answered"));
    }
}
