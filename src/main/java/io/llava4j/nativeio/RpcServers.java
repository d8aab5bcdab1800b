package io.llava4j.nativeio;

import io.llava4j.Llava4jException;
import io.llava4j.Llava4jException.Code;
import io.llava4j.nativeio.bindings.LlamaLib;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * Remote devices through llama.cpp's RPC backend: layers of a model placed on {@code rpc-server}
 * processes on other machines ({@code --rpc host:port,...}), and the server side ({@code llava4j
 * rpc-server}).
 *
 * <p>ggml's RPC client ends the process when it cannot connect or the peer does not answer its
 * handshake, so every endpoint is first resolved, connected to and greeted with the protocol's
 * HELLO from Java (a clear {@link Code#REMOTE} error instead of an abort). A server that dies after
 * that, mid-computation, still ends the client process: ggml has no recovery for it.
 *
 * <p>The protocol has no authentication and no encryption: whoever reaches a server's port can run
 * computations on it and read what it holds. Serve on loopback or a trusted network only.
 */
public final class RpcServers {
    /** HELLO is command 14 in every protocol version; its request carries 24 capability bytes. */
    private static final int CMD_HELLO = 14;

    private static final int CAPS_SIZE = 24;
    private static final int HELLO_RESPONSE_SIZE = 4 + CAPS_SIZE;
    /** How long one connection attempt or handshake may take. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private static final Map<String, Integer> ADDED = new LinkedHashMap<>();

    private RpcServers() {}

    /** A server address; the host is a name or an IPv4 literal (ggml's parser splits at the first ':'). */
    public record Endpoint(String host, int port) {
        public Endpoint {
            if (host == null || host.isBlank() || host.contains(":") || host.contains(",")) {
                throw new Llava4jException(
                        Code.INVALID_ARGUMENT,
                        "RPC host must be a host name or IPv4 address, got '" + host
                                + "' (ggml's RPC backend does not take IPv6 literals)");
            }
            if (port < 1 || port > 65535) {
                throw new Llava4jException(Code.INVALID_ARGUMENT, "RPC port must be 1..65535, got " + port);
            }
        }

        /** Parses {@code host:port}. */
        public static Endpoint parse(String text) {
            String t = text == null ? "" : text.strip();
            int colon = t.lastIndexOf(':');
            if (colon <= 0 || colon == t.length() - 1) {
                throw new Llava4jException(Code.INVALID_ARGUMENT, "RPC server must be host:port, got '" + text + "'");
            }
            int port;
            try {
                port = Integer.parseInt(t.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new Llava4jException(Code.INVALID_ARGUMENT, "RPC port is not a number in '" + text + "'");
            }
            return new Endpoint(t.substring(0, colon), port);
        }

        /** Parses a comma-separated list of {@code host:port}, in order, without duplicates. */
        public static List<Endpoint> parseList(String text) {
            List<Endpoint> out = new ArrayList<>();
            for (String part : (text == null ? "" : text).split(",")) {
                if (!part.isBlank()) {
                    Endpoint e = parse(part);
                    if (!out.contains(e)) {
                        out.add(e);
                    }
                }
            }
            if (out.isEmpty()) {
                throw new Llava4jException(Code.INVALID_ARGUMENT, "no RPC server given in '" + text + "'");
            }
            return List.copyOf(out);
        }

        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    /** What a server answered to HELLO. */
    public record Hello(int major, int minor, int patch) {
        @Override
        public String toString() {
            return major + "." + minor + "." + patch;
        }
    }

    /**
     * Registers the devices of each server, so that models loaded afterwards offload layers to them
     * (with {@code --gpu-layers}); a server already registered in this process is skipped. Each is
     * checked first ({@link #probe}).
     *
     * @return the number of devices added per server
     * @throws Llava4jException {@code REMOTE} naming the server that cannot be used
     */
    public static synchronized Map<Endpoint, Integer> add(List<Endpoint> servers, Duration timeout) {
        NativeLibrary.ensureLoaded();
        if (LlamaLib.llava4j_rpc_protocol_version() == 0) {
            throw new Llava4jException(Code.NATIVE_LIBRARY, "this native build has no RPC backend");
        }
        Map<Endpoint, Integer> out = new LinkedHashMap<>();
        for (Endpoint e : servers) {
            String resolved = resolve(e).getHostAddress() + ":" + e.port();
            Integer known = ADDED.get(resolved);
            if (known != null) {
                out.put(e, known);
                continue;
            }
            probe(e, timeout);
            try (BytePointer endpoint = new BytePointer(resolved);
                    IntPointer devices = new IntPointer(1)) {
                try {
                    NativeErrors.checkShim(
                            LlamaLib.llava4j_rpc_add_server(endpoint, devices), "adding RPC server " + e);
                } catch (Llava4jException ex) {
                    throw new Llava4jException(Code.REMOTE, ex.getMessage(), ex);
                }
                ADDED.put(resolved, devices.get());
                out.put(e, devices.get());
            }
        }
        return out;
    }

    /**
     * Connects to a server and performs the protocol's HELLO, as ggml's client will, then hangs up.
     *
     * @return the server's protocol version
     * @throws Llava4jException {@code REMOTE} when it cannot be reached in time, answers something
     *     else, or speaks an incompatible protocol version
     */
    public static Hello probe(Endpoint e, Duration timeout) {
        InetAddress address = resolve(e);
        int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, e.port()), millis);
            socket.setSoTimeout(millis);
            socket.setTcpNoDelay(true);
            ByteBuffer request = ByteBuffer.allocate(1 + 8 + CAPS_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            request.put((byte) CMD_HELLO).putLong(CAPS_SIZE);
            OutputStream out = socket.getOutputStream();
            out.write(request.array());
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] header = new byte[8];
            in.readFully(header);
            long size = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (size != HELLO_RESPONSE_SIZE) {
                throw new Llava4jException(
                        Code.REMOTE,
                        "RPC server " + e + " answered HELLO with " + size + " bytes instead of " + HELLO_RESPONSE_SIZE
                                + ": not a ggml rpc-server of this protocol");
            }
            byte[] body = new byte[HELLO_RESPONSE_SIZE];
            in.readFully(body);
            Hello hello = new Hello(body[0] & 0xff, body[1] & 0xff, body[2] & 0xff);
            int ours = protocolVersion();
            if (hello.major() != (ours >>> 16) || hello.minor() > ((ours >>> 8) & 0xff)) {
                throw new Llava4jException(
                        Code.REMOTE,
                        "RPC server " + e + " speaks protocol " + hello
                                + ", this build " + (ours >>> 16) + "." + ((ours >>> 8) & 0xff) + "." + (ours & 0xff)
                                + ": run an rpc-server built from the same llama.cpp");
            }
            return hello;
        } catch (EOFException ex) {
            throw new Llava4jException(
                    Code.REMOTE,
                    "RPC server " + e + " closed the connection during HELLO:"
                            + " not a ggml rpc-server, or one of an older protocol",
                    ex);
        } catch (IOException ex) {
            throw new Llava4jException(
                    Code.REMOTE, "cannot reach RPC server " + e + " within " + millis + " ms: " + ex.getMessage(), ex);
        }
    }

    /** This build's RPC protocol version as major << 16 | minor << 8 | patch; 0 without RPC. */
    public static int protocolVersion() {
        NativeLibrary.ensureLoaded();
        return LlamaLib.llava4j_rpc_protocol_version();
    }

    /**
     * Serves this process's CPU to RPC clients on {@code host:port}; blocks for the life of the
     * process (ggml's server has no stop).
     *
     * @throws Llava4jException when the server cannot start (e.g. the port is taken)
     */
    public static void serve(Endpoint endpoint, int threads) {
        NativeLibrary.ensureLoaded();
        if (threads <= 0) {
            throw new Llava4jException(Code.INVALID_ARGUMENT, "threads must be positive, got " + threads);
        }
        InetAddress address = resolve(endpoint);
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(address, endpoint.port()));
        } catch (IOException e) {
            throw new Llava4jException(
                    Code.REMOTE,
                    "cannot serve RPC on " + endpoint + ": " + e.getMessage() + " (is another server using the port?)",
                    e);
        }
        String bind = address.getHostAddress() + ":" + endpoint.port();
        try (BytePointer p = new BytePointer(bind)) {
            NativeErrors.checkShim(
                    LlamaLib.llava4j_rpc_serve(p, (BytePointer) null, threads), "serving RPC on " + endpoint);
        }
    }

    private static InetAddress resolve(Endpoint e) {
        try {
            for (InetAddress a : InetAddress.getAllByName(e.host())) {
                if (!(a instanceof Inet6Address)) {
                    return a;
                }
            }
            throw new Llava4jException(Code.REMOTE, "RPC host " + e.host() + " has no IPv4 address");
        } catch (UnknownHostException ex) {
            throw new Llava4jException(Code.REMOTE, "unknown RPC host " + e.host(), ex);
        }
    }
}
