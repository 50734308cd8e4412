package io.keymesh.proxy.mesh;

import com.typesafe.config.ConfigFactory;
import io.keymesh.proxy.KeymeshNode;
import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.storage.process.RedisServerConfig;
import io.keymesh.storage.process.RedisServerSpec;
import io.keymesh.topology.clock.TimeSource;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One keymesh node of a {@link MeshFixture}: its own data directory and managed redis-server, run
 * in this JVM or (for crash tests) as a separate JVM, plus Lettuce connections to its client port
 * and, for checks of the durable log, to its redis-server's unix socket.
 */
public final class MeshNode {
    /** Upper bound for one reply. */
    public static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final Path dataDir;
    private final Map<String, Object> settings;
    private final ClientResources resources;
    private final ExternalKeymesh external;
    private final TimeSource time;
    private final String host;
    private final List<RedisClient> clients = new ArrayList<>();
    private KeymeshNode inJvm;
    private int port;
    private StatefulRedisConnection<String, String> connection;

    MeshNode(String name, Path dataDir, Map<String, Object> settings, ClientResources resources,
             List<String> externalJvmOptions, long clockSkewMillis) throws IOException {
        this(name, dataDir, settings, resources, externalJvmOptions, clockSkewMillis, "127.0.0.1", List.of());
    }

    /**
     * A node reached at {@code host}; an external one is started through {@code launcher} (e.g.
     * {@code ip netns exec NAME}, for a node inside a network namespace).
     */
    MeshNode(String name, Path dataDir, Map<String, Object> settings, ClientResources resources,
             List<String> externalJvmOptions, long clockSkewMillis, String host, List<String> launcher) throws IOException {
        if (externalJvmOptions != null && clockSkewMillis != 0) {
            throw new IllegalArgumentException(name + ": a skewed clock needs an in-JVM node");
        }
        this.name = name;
        this.time = clockSkewMillis == 0 ? TimeSource.system() : new SkewedTime(clockSkewMillis);
        this.dataDir = dataDir;
        this.host = host;
        this.settings = Map.copyOf(settings);
        this.resources = resources;
        Files.createDirectories(dataDir);
        this.external = externalJvmOptions == null ? null : new ExternalKeymesh(
                Files.createDirectories(dataDir.getParent().resolve(name + "-jvm")), settings, externalJvmOptions, launcher);
    }

    public String name() {
        return name;
    }

    /** Whether this node runs as a separate JVM. */
    public boolean isExternal() {
        return external != null;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The node's current client port (changes when it restarts; peers reach it through relays). */
    public int port() {
        return port;
    }

    /**
     * The port other nodes link to: the TLS port with keymesh.tls.replication (in-JVM nodes), else
     * the client port.
     */
    public int linkPort() {
        boolean tlsLinks = "true".equals(String.valueOf(settings.get("keymesh.tls.replication")));
        return tlsLinks && inJvm != null ? inJvm.tlsPort() : port;
    }

    /** The process id of an external node's JVM (jcmd, jstack). */
    public long pid() {
        if (external == null) {
            throw new IllegalStateException(name + " runs in the test JVM");
        }
        return external.pid();
    }

    public boolean isRunning() {
        return external != null ? external.isAlive() : inJvm != null;
    }

    /** The in-JVM node (null for an external one). */
    public KeymeshNode keymesh() {
        return inJvm;
    }

    /** The node id from {@code <data-dir>/node-id}, or null before the node wrote one. */
    public String nodeId() {
        Path f = dataDir.resolve("node-id");
        try {
            return Files.exists(f) ? Files.readString(f).trim() : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void start() {
        try {
            if (external != null) {
                port = external.start(START_TIMEOUT);
            } else {
                KeymeshConfig config = KeymeshConfig.from(
                        ConfigFactory.parseMap(settings).withFallback(ConfigFactory.defaultReference()).resolve());
                inJvm = KeymeshNode.start(config, time);
                port = inJvm.port();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting " + name, e);
        }
    }

    /** Stops the node cleanly (client port, then its redis-server). Connections handed out earlier break. */
    void stop() {
        dropConnection();
        try {
            if (external != null) {
                external.stop();
            } else if (inJvm != null) {
                KeymeshNode n = inJvm;
                inJvm = null;
                n.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** kill -9 of the keymesh JVM (external nodes only); its redis-server keeps running. */
    void kill9() {
        if (external == null) {
            throw new IllegalStateException(name + " runs in the test JVM; only an external node can be killed");
        }
        dropConnection();
        try {
            external.kill9();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void dropConnection() {
        if (connection != null) {
            connection.closeAsync();
            connection = null;
        }
    }

    // ---- clients ---------------------------------------------------------------------------------

    /** Sync commands on this node's shared connection (db 0 unless the test SELECTs). */
    public RedisCommands<String, String> sync() {
        return connection().sync();
    }

    /** {@code INFO section} on the shared connection as field -> value. */
    public Map<String, String> info(String section) {
        Map<String, String> out = new java.util.HashMap<>();
        for (String line : sync().info(section).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                out.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return out;
    }

    /** This node's shared connection, reopened after a restart. */
    public synchronized StatefulRedisConnection<String, String> connection() {
        if (connection == null || !connection.isOpen()) {
            connection = connect();
        }
        return connection;
    }

    /** A new RESP2 connection to the client port, byte-exact codec, closed by the fixture. */
    public StatefulRedisConnection<String, String> connect() {
        return client(uri()).connect(RawCommand.BYTES);
    }

    /** A new pub/sub connection to the client port. */
    public StatefulRedisPubSubConnection<String, String> connectPubSub() {
        return client(uri()).connectPubSub(StringCodec.UTF8);
    }

    /** A connection to the node's own redis-server (its unix socket): for checking the log and metadata, never for writes. */
    public StatefulRedisConnection<String, String> connectBackend() {
        RedisURI backend = RedisURI.Builder.socket(backendSocket().toString()).withTimeout(TIMEOUT).build();
        return client(backend).connect(RawCommand.BYTES);
    }

    /** The unix socket of this node's managed redis-server. */
    public Path backendSocket() {
        return new RedisServerConfig(RedisServerSpec.defaults(dataDir.resolve("redis"))).socketPath();
    }

    /** The node's client address as redis-cli/redis-benchmark arguments. */
    public List<String> cliAddress() {
        return List.of("-h", host, "-p", Integer.toString(port));
    }

    /** The client URI, with the node's keymesh.requirepass when it has one. */
    private RedisURI uri() {
        RedisURI.Builder b = RedisURI.builder().withHost(host).withPort(port).withTimeout(TIMEOUT);
        Object password = settings.get("keymesh.requirepass");
        if (password != null && !password.toString().isEmpty()) {
            b.withPassword(password.toString().toCharArray());
        }
        return b.build();
    }

    private synchronized RedisClient client(RedisURI uri) {
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP2).autoReconnect(false).build());
        clients.add(client);
        return client;
    }

    /** Closes every client this node handed out. */
    synchronized void closeClients() {
        connection = null;
        for (RedisClient c : clients) {
            try {
                c.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            } catch (RuntimeException ignored) {
                // best effort
            }
        }
        clients.clear();
    }

    /** The system clock shifted by a fixed offset, as on a machine whose clock is off. */
    private record SkewedTime(long skewMillis) implements TimeSource {
        @Override
        public long wallMillis() {
            return System.currentTimeMillis() + skewMillis;
        }

        @Override
        public long monotonicNanos() {
            return System.nanoTime();
        }
    }

    @Override
    public String toString() {
        return name + " (:" + port + (isExternal() ? ", own JVM" : "") + ")";
    }
}
