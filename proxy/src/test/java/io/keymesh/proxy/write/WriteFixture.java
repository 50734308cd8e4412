package io.keymesh.proxy.write;

import com.typesafe.config.ConfigFactory;
import io.keymesh.proxy.KeymeshNode;
import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.proxy.it.RespSocket;
import io.keymesh.proxy.testsupport.Teardown;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A keymesh node with its managed redis-server for the write-path tests, plus what the tests compare
 * it with: a plain redis-server (no keymesh) and a direct connection to the node's backend socket.
 */
final class WriteFixture implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Path root;
    private final Map<String, Object> settings;
    private final ClientResources resources =
            DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();
    private KeymeshNode node;
    private Process plain;
    private int plainPort;

    private WriteFixture(Map<String, Object> overrides) throws IOException {
        root = Files.createTempDirectory("keymesh-write-");
        Map<String, Object> s = new HashMap<>();
        s.put("keymesh.port", 0);
        s.put("keymesh.bind", "127.0.0.1");
        s.put("keymesh.io-threads", 2);
        s.put("keymesh.data-dir", root.resolve("node").toString());
        s.putAll(overrides);
        settings = Map.copyOf(s);
    }

    /** A node with replication forced to {@code replication} ("true" or "false") and the given overrides. */
    static WriteFixture start(String replication, Map<String, Object> overrides) {
        Map<String, Object> all = new HashMap<>(overrides);
        all.put("keymesh.replication.enabled", replication);
        WriteFixture f;
        try {
            f = new WriteFixture(all);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            f.startNode();
            return f;
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    static WriteFixture replicating() {
        return start("true", Map.of());
    }

    KeymeshConfig config() {
        return KeymeshConfig.from(ConfigFactory.parseMap(settings).withFallback(ConfigFactory.defaultReference()).resolve());
    }

    private void startNode() {
        try {
            node = KeymeshNode.start(config());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    KeymeshNode node() {
        return node;
    }

    int port() {
        return node.port();
    }

    Path dataDir() {
        return root.resolve("node");
    }

    /** Stops the node (client port, then its redis-server) and starts it again on the same data directory. */
    void restart() {
        node.close();
        node = null;
        startNode();
    }

    /** A Lettuce connection to the node. */
    StatefulRedisConnection<String, String> connect(ProtocolVersion protocol) {
        return connect(RedisURI.builder().withHost("127.0.0.1").withPort(port()).withTimeout(TIMEOUT).build(), protocol);
    }

    /** A Lettuce connection straight to the node's redis-server socket (what clients never see). */
    StatefulRedisConnection<String, String> connectBackend() {
        return connect(RedisURI.Builder.socket(node.redis().socketPath().toString()).withTimeout(TIMEOUT).build(),
                ProtocolVersion.RESP2);
    }

    private StatefulRedisConnection<String, String> connect(RedisURI uri, ProtocolVersion protocol) {
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder().protocolVersion(protocol).autoReconnect(false).build());
        opened.push(() -> client.shutdown(0, 2, TimeUnit.SECONDS));
        StatefulRedisConnection<String, String> c = client.connect();
        opened.push(c::close);
        return c;
    }

    /** A raw RESP socket to the node. */
    RespSocket raw() throws IOException {
        RespSocket s = new RespSocket(port(), TIMEOUT);
        opened.push(s);
        return s;
    }

    /** A raw RESP socket to a plain redis-server (started on first use, no persistence, 16 databases). */
    RespSocket rawPlain() throws IOException {
        if (plain == null) {
            Path dir = Files.createDirectories(root.resolve("plain"));
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                plainPort = probe.getLocalPort();
            }
            plain = new ProcessBuilder("redis-server", "--port", Integer.toString(plainPort), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", dir.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
            awaitListening(plainPort);
        }
        RespSocket s = new RespSocket(plainPort, TIMEOUT);
        opened.push(s);
        return s;
    }

    private void awaitListening(int port) throws IOException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException e) {
                if (!plain.isAlive()) {
                    throw new IOException("plain redis-server exited with " + plain.exitValue());
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException(ie);
                }
            }
        }
        throw new IOException("plain redis-server not listening on " + port);
    }

    @Override
    public void close() {
        while (!opened.isEmpty()) {
            try {
                opened.pop().close();
            } catch (Exception ignored) {
                // closing what may already be closed
            }
        }
        if (node != null) {
            node.close();
            node = null;
        }
        if (plain != null) {
            Teardown.stopProcess(plain);
        }
        resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        Teardown.deleteTree(root);
    }
}
