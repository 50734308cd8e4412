package io.keymesh.proxy.fuzz;

import io.keymesh.proxy.it.RespSocket;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** A plain redis-server of the test's own (no keymesh in front) on a loopback port, stopped on close. */
final class PlainRedis implements AutoCloseable {
    private final Path dir;
    private final Process process;
    private final RespSocket client;

    PlainRedis() throws IOException, InterruptedException {
        dir = Files.createTempDirectory("keymesh-plain-redis");
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile()).start();
        RespSocket connected = null;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (connected == null) {
            try {
                connected = new RespSocket(port, Duration.ofSeconds(10));
            } catch (IOException e) {
                if (System.nanoTime() > deadline || !process.isAlive()) {
                    close();
                    throw new IOException("the plain redis-server did not listen on " + port, e);
                }
                Thread.sleep(20);
            }
        }
        client = connected;
    }

    /** A client connection to it. */
    RespSocket client() {
        return client;
    }

    @Override
    public void close() throws InterruptedException {
        if (client != null) {
            client.close();
        }
        process.destroy();
        process.waitFor();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory
        }
    }
}
