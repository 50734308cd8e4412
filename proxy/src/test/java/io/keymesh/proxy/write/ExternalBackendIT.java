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
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** With replication on, an external backend without 2N+1 databases is refused at start, with the fix in the message. */
class ExternalBackendIT {

    @Test
    void externalBackendWithTooFewDatabasesIsRefused() throws Exception {
        Path dir = Files.createTempDirectory("keymesh-external-");
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Process redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--databases", "16")
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
            BackendCheckException e = assertThrows(BackendCheckException.class,
                    () -> KeymeshNode.start(config).close());
            assertTrue(e.getMessage().contains("has 16 databases") && e.getMessage().contains("databases 33"), e.getMessage());
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
