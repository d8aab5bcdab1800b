package io.llava4j.cli;

import io.llava4j.nativeio.Backends;
import io.llava4j.nativeio.RpcServers;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code llava4j rpc-server}: lends this machine's CPU to other llava4j (or llama.cpp) processes,
 * which place model layers on it with {@code --rpc HOST:PORT}. llama.cpp's RPC server, run inside
 * the JVM from the same native build, so client and server speak the same protocol version.
 */
@Command(
        name = "rpc-server",
        mixinStandardHelpOptions = true,
        description = {
            "Serve this machine's CPU to `--rpc` clients (llama.cpp's RPC backend).",
            "The protocol has NO authentication and NO encryption: whoever reaches the port can run"
                    + " computations here and read the tensors sent. Bind to loopback (the default) or a trusted network."
        })
final class RpcServerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = {"-H", "--host"},
            paramLabel = "ADDR",
            defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 = every interface).")
    String host;

    @Option(
            names = {"-p", "--port"},
            paramLabel = "PORT",
            defaultValue = "50052",
            description = "Port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = {"-t", "--threads"},
            paramLabel = "N",
            description = "CPU threads (default: all).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Override
    public Integer call() {
        RpcServers.Endpoint endpoint = new RpcServers.Endpoint(host, port);
        PrintWriter err = spec.commandLine().getErr();
        if (!host.equals("127.0.0.1") && !host.equals("localhost")) {
            err.println("llava4j rpc-server: WARNING: listening on " + host + ": anyone who can reach this port can use"
                    + " it; the RPC protocol has no authentication or encryption.");
        }
        err.printf(
                "llava4j rpc-server: serving %s (%s CPU backend, %d threads) on %s%n",
                Backends.devices().stream()
                        .filter(d -> d.backend().equals("CPU"))
                        .findFirst()
                        .map(Backends.Device::description)
                        .orElse("CPU"),
                Backends.cpuVariant().orElse("?"),
                threads,
                endpoint);
        err.flush();
        RpcServers.serve(endpoint, threads);
        return 1;
    }
}
