package io.keymesh.proxy.replica;

import com.typesafe.config.ConfigFactory;
import io.keymesh.proxy.KeymeshNode;
import io.keymesh.proxy.config.KeymeshConfig;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * In-JVM primaries and replicas on loopback, each with its managed redis-server. Primaries get a port
 * the OS handed out (so a stopped primary restarts on the same address replicas follow); replicas
 * check with inter 200 ms, fall 3, rise 2. {@link #close()} stops every node and client.
 */
final class ReplicaCluster implements AutoCloseable {
    static final long INTER_MILLIS = 200;
    static final int FALL = 3;

    private final Path root;
    private final List<Integer> primaryPorts = new ArrayList<>();
    private final List<KeymeshNode> primaries = new ArrayList<>();
    private final List<KeymeshConfig> primaryConfigs = new ArrayList<>();
    private final List<KeymeshNode> replicas = new ArrayList<>();
    private final List<StatefulRedisConnection<String, String>> clients = new ArrayList<>();
    private final List<RedisClient> redisClients = new ArrayList<>();
    private final ClientResources resources = DefaultClientResources.builder().ioThreadPoolSize(2)
            .computationThreadPoolSize(2).build();

    ReplicaCluster(int primaryCount) throws Exception {
        root = Files.createTempDirectory("keymesh-replicas-");
        try {
            for (int i = 0; i < primaryCount; i++) {
                primaryPorts.add(freePort());
            }
            for (int i = 0; i < primaryCount; i++) {
                List<String> peers = new ArrayList<>();
                for (int j = 0; j < primaryCount; j++) {
                    if (j != i) {
                        peers.add("127.0.0.1:" + primaryPorts.get(j));
                    }
                }
                Map<String, Object> s = base("primary" + i, primaryPorts.get(i));
                s.put("keymesh.peers", peers);
                s.put("keymesh.replication.enabled", "true");
                KeymeshConfig config = config(s);
                primaryConfigs.add(config);
                primaries.add(KeymeshNode.start(config));
            }
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /** Starts a replica of every primary (in order) with the given write policy and extra settings. */
    KeymeshNode addReplica(String writePolicy, Map<String, Object> extra) throws InterruptedException {
        int i = replicas.size();
        Map<String, Object> s = base("replica" + i, 0);
        s.put("keymesh.role", "replica");
        List<String> ups = new ArrayList<>();
        for (int p : primaryPorts) {
            ups.add("127.0.0.1:" + p);
        }
        s.put("keymesh.upstreams", ups);
        s.put("keymesh.replica.write-policy", writePolicy);
        s.put("keymesh.replica.forward-wait-timeout", "5s");
        s.put("keymesh.health-check.inter", INTER_MILLIS + "ms");
        s.put("keymesh.health-check.timeout", "200ms");
        s.put("keymesh.health-check.fall", FALL);
        s.put("keymesh.health-check.rise", 2);
        s.putAll(extra);
        KeymeshNode node = KeymeshNode.start(config(s));
        replicas.add(node);
        return node;
    }

    private Map<String, Object> base(String name, int port) {
        Map<String, Object> s = new HashMap<>();
        s.put("keymesh.port", port);
        s.put("keymesh.bind", "127.0.0.1");
        s.put("keymesh.io-threads", 1);
        s.put("keymesh.data-dir", root.resolve(name).toString());
        s.put("keymesh.storage.redis.databases", 4);
        return s;
    }

    private static KeymeshConfig config(Map<String, Object> s) {
        return KeymeshConfig.from(ConfigFactory.parseMap(s).withFallback(ConfigFactory.defaultReference()).resolve());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    int primaryPort(int i) {
        return primaryPorts.get(i);
    }

    KeymeshNode primary(int i) {
        return primaries.get(i);
    }

    KeymeshNode replica(int i) {
        return replicas.get(i);
    }

    int replicaCount() {
        return replicas.size();
    }

    /** Stops primary i (its redis-server too). */
    void stopPrimary(int i) {
        primaries.get(i).close();
        primaries.set(i, null);
    }

    /** Starts primary i again on its port and data directory. */
    void startPrimary(int i) throws InterruptedException {
        primaries.set(i, KeymeshNode.start(primaryConfigs.get(i)));
    }

    StatefulRedisConnection<String, String> connect(int port) {
        RedisClient client = RedisClient.create(resources, RedisURI.create("127.0.0.1", port));
        client.setDefaultTimeout(Duration.ofSeconds(10));
        client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP2).build());
        redisClients.add(client);
        StatefulRedisConnection<String, String> c = client.connect();
        clients.add(c);
        return c;
    }

    /** INFO replication as field -> value. */
    static Map<String, String> info(StatefulRedisConnection<String, String> c) {
        Map<String, String> out = new HashMap<>();
        for (String line : c.sync().info("replication").split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                out.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return out;
    }

    /** Every string key of db 0 with its value, sorted: equal maps mean equal content here. */
    static Map<String, String> digest(StatefulRedisConnection<String, String> c) {
        Map<String, String> out = new TreeMap<>();
        for (String k : c.sync().keys("*")) {
            out.put(k, c.sync().type(k) + ":" + ("string".equals(c.sync().type(k)) ? c.sync().get(k) : ""));
        }
        return out;
    }

    static void await(String what, long timeoutMillis, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeoutMillis + " ms waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        for (StatefulRedisConnection<String, String> c : clients) {
            try {
                c.close();
            } catch (RuntimeException ignored) {
                // node already gone
            }
        }
        for (RedisClient c : redisClients) {
            c.shutdown(0, 1, TimeUnit.SECONDS);
        }
        for (KeymeshNode n : replicas) {
            n.close();
        }
        for (KeymeshNode n : primaries) {
            if (n != null) {
                n.close();
            }
        }
        resources.shutdown(0, 1, TimeUnit.SECONDS);
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
