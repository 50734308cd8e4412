package io.keymesh.proxy.write;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.keymesh.proxy.KeymeshNode;
import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.storage.backend.BackendCheckException;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * With replication on, an external backend without 2N+1 databases, or with an eviction policy, is refused at
 * start, with the fix in the message.
 */
class ExternalBackendIT {

    @Test
    void externalBackendWithTooFewDatabasesIsRefused() throws Exception {
        String message = refusalAtStart("--databases", "16");
        assertTrue(message.contains("has 16 databases") && message.contains("databases 33"), message);
    }

    @Test
    void externalBackendWithAnEvictionPolicyIsRefused() throws Exception {
        String message = refusalAtStart("--databases", "33", "--maxmemory-policy", "volatile-lru");
        assertTrue(message.contains("has maxmemory-policy volatile-lru; keymesh needs noeviction")
                && message.contains("merge metadata") && message.contains("\"maxmemory-policy noeviction\""), message);
    }

    /** Starts a plain redis-server with {@code args}, then a replicating node on it, and returns why the node was refused. */
    private static String refusalAtStart(String... args) throws Exception {
        Path dir = Files.createTempDirectory("keymesh-external-");
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()));
        command.addAll(List.of(args));
        Process redis = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        try {
            awaitListening(port);
            KeymeshConfig config = KeymeshConfig.from(ConfigFactory.parseMap(Map.of(
                            "keymesh.port", 0,
                            "keymesh.data-dir", dir.resolve("node").toString(),
                            "keymesh.replication.enabled", "true",
                            "keymesh.storage.redis.mode", "external",
                            "keymesh.storage.redis.address", "127.0.0.1:" + port))
                    .withFallback(ConfigFactory.defaultReference()).resolve());
            return assertThrows(BackendCheckException.class,
                    () -> KeymeshNode.start(config).close()).getMessage();
        } finally {
            redis.destroy();
            if (!redis.waitFor(5, TimeUnit.SECONDS)) {
                redis.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    private static void awaitListening(int port) throws Exception {
        for (int i = 0; i < 250; i++) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(20);
            }
        }
        throw new IOException("redis-server not listening on " + port);
    }
}
