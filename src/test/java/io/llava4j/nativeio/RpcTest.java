package io.llava4j.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llava4j.Llava4jException;
import io.llava4j.cli.Main;
import io.llava4j.testmodels.NativeTools;
import io.llava4j.testmodels.TinyModels;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layers on remote machines through llama.cpp's RPC backend, on loopback: two servers (llama.cpp's
 * own {@code rpc-server} and {@code llava4j rpc-server}) take every layer of a generated pair, and
 * the greedy answer is byte-for-byte the local one. Endpoints that are unreachable, silent or not
 * RPC servers end in a clear {@code REMOTE} error, never in ggml's abort. Registering a server
 * changes the process's device list for good, so the runs that do are child JVMs.
 */
class RpcTest {
    @TempDir
    static Path dir;

    private static final List<Process> SERVERS = new ArrayList<>();

    @AfterAll
    static void stopServers() {
        SERVERS.forEach(Process::destroyForcibly);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static String classpath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static void awaitServer(RpcServers.Endpoint e, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                RpcServers.probe(e, Duration.ofSeconds(2));
                return;
            } catch (Llava4jException ex) {
                assertTrue(p.isAlive(), "the RPC server on " + e + " exited: " + ex.getMessage());
                if (System.nanoTime() > deadline) {
                    throw ex;
                }
                Thread.sleep(200);
            }
        }
    }

    record Run(String stdout, String stderr) {}

    static Run cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                java(),
                "-Xss4m",
                "-cp",
                classpath(),
                "-Dorg.slf4j.simpleLogger.log.llama.cpp=debug",
                Main.class.getName()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the CLI hung: " + cmd);
        Run run = new Run(Files.readString(out), Files.readString(err));
        assertEquals(0, p.exitValue(), cmd + "\n" + run.stderr());
        return run;
    }

    @Test
    void everyLayerOnTwoLoopbackServersGivesTheLocalGreedyAnswer() throws Exception {
        TinyModels.Pair pair = TinyModels.llava15(dir.resolve("m"), 21);
        Path image = dir.resolve("picture.png");
        BufferedImage bi = new BufferedImage(80, 60, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 60; y++) {
            for (int x = 0; x < 80; x++) {
                bi.setRGB(x, y, (x * 3) << 16 | (y * 4) << 8 | 90);
            }
        }
        ImageIO.write(bi, "png", image.toFile());

        int toolPort = freePort();
        Process tool = new ProcessBuilder(
                        NativeTools.tool("ggml-rpc-server").toString(),
                        "-H",
                        "127.0.0.1",
                        "-p",
                        Integer.toString(toolPort),
                        "-t",
                        "1")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("tool-server.txt").toFile())
                .start();
        SERVERS.add(tool);
        int ownPort = freePort();
        Process own = new ProcessBuilder(
                        java(),
                        "-cp",
                        classpath(),
                        Main.class.getName(),
                        "rpc-server",
                        "-p",
                        Integer.toString(ownPort),
                        "-t",
                        "1")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("own-server.txt").toFile())
                .start();
        SERVERS.add(own);
        RpcServers.Endpoint toolEndpoint = new RpcServers.Endpoint("127.0.0.1", toolPort);
        RpcServers.Endpoint ownEndpoint = new RpcServers.Endpoint("127.0.0.1", ownPort);
        awaitServer(toolEndpoint, tool);
        awaitServer(ownEndpoint, own);

        List<String> common = List.of(
                "run",
                "-m",
                pair.lm().toString(),
                "--mmproj",
                pair.mmproj().toString(),
                "--image",
                image.toString(),
                "-p",
                "What is in the picture?",
                "--temp",
                "0",
                "-n",
                "24",
                "-t",
                "1");
        List<String> local = new ArrayList<>(common);
        local.addAll(List.of("--gpu-layers", "0"));
        List<String> remote = new ArrayList<>(common);
        remote.addAll(List.of("--gpu-layers", "all", "--rpc", toolEndpoint + "," + ownEndpoint));

        Run here = cli(local.toArray(String[]::new));
        Run there = cli(remote.toArray(String[]::new));
        assertFalse(here.stdout().isBlank(), here.stderr());
        assertEquals(here.stdout(), there.stdout(), "the answer differs when the layers run on the RPC servers");
        for (String device : List.of("[" + toolEndpoint + "]", "[" + ownEndpoint + "]")) {
            // llama.cpp names each server's device RPC0[host:port]
            assertTrue(
                    there.stderr().lines().anyMatch(l -> l.contains(device + " model buffer size")),
                    "no weights were placed on " + device + ":\n" + there.stderr());
        }
        assertFalse(here.stderr().contains("RPC0["), here.stderr());
        assertTrue(there.stderr().contains("offloaded 3/3 layers"), there.stderr());
        assertTrue(tool.isAlive() && own.isAlive(), "a server died");
    }

    @Test
    void unreachableSilentOrForeignEndpointsAreClearErrors() throws Exception {
        int closed = freePort();
        Llava4jException e = assertThrows(
                Llava4jException.class,
                () -> RpcServers.probe(new RpcServers.Endpoint("127.0.0.1", closed), Duration.ofSeconds(2)));
        assertEquals(Llava4jException.Code.REMOTE, e.code());
        assertTrue(e.getMessage().contains("cannot reach RPC server 127.0.0.1:" + closed), e.getMessage());

        try (ServerSocket hangUp = new ServerSocket(0);
                ServerSocket http = new ServerSocket(0);
                ServerSocket silent = new ServerSocket(0)) {
            Thread serve = new Thread(() -> {
                try (Socket s = hangUp.accept()) {
                    s.getInputStream().read();
                } catch (IOException ignored) {
                    // the client is gone
                }
                try (Socket s = http.accept();
                        InputStream in = s.getInputStream();
                        OutputStream out = s.getOutputStream()) {
                    in.read(new byte[33]);
                    out.write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException ignored) {
                    // the client is gone
                }
            });
            serve.start();
            e = assertThrows(
                    Llava4jException.class,
                    () -> RpcServers.probe(
                            new RpcServers.Endpoint("127.0.0.1", hangUp.getLocalPort()), Duration.ofSeconds(2)));
            assertTrue(e.getMessage().contains("closed the connection during HELLO"), e.getMessage());
            e = assertThrows(
                    Llava4jException.class,
                    () -> RpcServers.probe(
                            new RpcServers.Endpoint("127.0.0.1", http.getLocalPort()), Duration.ofSeconds(2)));
            assertTrue(e.getMessage().contains("not a ggml rpc-server"), e.getMessage());
            e = assertThrows(
                    Llava4jException.class,
                    () -> RpcServers.probe(
                            new RpcServers.Endpoint("127.0.0.1", silent.getLocalPort()), Duration.ofMillis(500)));
            assertEquals(Llava4jException.Code.REMOTE, e.code());
            serve.join(5000);
        }
        e = assertThrows(
                Llava4jException.class,
                () -> RpcServers.add(List.of(new RpcServers.Endpoint("127.0.0.1", closed)), Duration.ofSeconds(1)));
        assertEquals(Llava4jException.Code.REMOTE, e.code());
        assertTrue(Backends.devices().stream().noneMatch(d -> d.backend().equals("RPC")), "nothing was registered");
    }

    @Test
    void servingOnATakenPortIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Llava4jException e = assertThrows(
                    Llava4jException.class,
                    () -> RpcServers.serve(new RpcServers.Endpoint("127.0.0.1", taken.getLocalPort()), 1));
            assertEquals(Llava4jException.Code.REMOTE, e.code());
            assertTrue(e.getMessage().contains("is another server using the port?"), e.getMessage());
        }
    }

    @Test
    void endpointsAreParsedStrictly() {
        assertEquals(
                List.of(new RpcServers.Endpoint("10.0.0.2", 50052), new RpcServers.Endpoint("gpu-box", 1)),
                RpcServers.Endpoint.parseList(" 10.0.0.2:50052, gpu-box:1,10.0.0.2:50052"));
        for (String bad :
                List.of("", "host", "host:", ":50052", "host:0", "host:65536", "host:x", "[::1]:50052", "::1:50052")) {
            Llava4jException e = assertThrows(Llava4jException.class, () -> RpcServers.Endpoint.parseList(bad), bad);
            assertEquals(Llava4jException.Code.INVALID_ARGUMENT, e.code(), bad);
        }
    }
}
