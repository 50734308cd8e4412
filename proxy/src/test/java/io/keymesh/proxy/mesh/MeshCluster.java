package io.keymesh.proxy.mesh;

import com.typesafe.config.ConfigFactory;
import io.keymesh.proxy.KeymeshNode;
import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.proxy.it.KeymeshFixture;
import io.keymesh.topology.clock.TimeSource;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * In-JVM mesh of keymesh nodes for link tests: every node is reached by its peers through its own
 * {@link TcpRelay}, so a test can partition a node; {@link #close()} stops every node, relay and client.
 */
final class MeshCluster implements AutoCloseable {
    private final Path root;
    private final List<TcpRelay> relays = new ArrayList<>();
    private final List<KeymeshNode> nodes = new ArrayList<>();
    private final List<StatefulRedisConnection<String, String>> clients = new ArrayList<>();
    private final ClientResources resources = DefaultClientResources.builder().ioThreadPoolSize(2)
            .computationThreadPoolSize(2).build();
    private final List<RedisClient> redisClients = new ArrayList<>();

    /** Starts {@code secrets.size()} nodes; node i uses secrets[i] and clock skew skewMillis[i]. */
    MeshCluster(List<String> secrets, List<Long> skewMillis) throws Exception {
        root = Files.createTempDirectory("keymesh-mesh-");
        try {
            for (int i = 0; i < secrets.size(); i++) {
                relays.add(new TcpRelay());
            }
            for (int i = 0; i < secrets.size(); i++) {
                List<String> peers = new ArrayList<>();
                for (int j = 0; j < secrets.size(); j++) {
                    if (j != i) {
                        peers.add(relays.get(j).address());
                    }
                }
                Map<String, Object> s = new HashMap<>();
                s.put("keymesh.port", 0);
                s.put("keymesh.bind", "127.0.0.1");
                s.put("keymesh.io-threads", 2);
                s.put("keymesh.data-dir", root.resolve("node" + i).toString());
                s.put("keymesh.peers", peers);
                s.put("keymesh.cluster-secret", secrets.get(i));
                s.put("keymesh.advertise", relays.get(i).address());
                KeymeshConfig config = KeymeshConfig.from(
                        ConfigFactory.parseMap(s).withFallback(ConfigFactory.defaultReference()).resolve());
                KeymeshNode node = KeymeshNode.start(config, skewed(skewMillis.get(i)));
                nodes.add(node);
                relays.get(i).target(node.port());
            }
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    private static TimeSource skewed(long skewMillis) {
        if (skewMillis == 0) {
            return TimeSource.system();
        }
        return new TimeSource() {
            @Override
            public long wallMillis() {
                return System.currentTimeMillis() + skewMillis;
            }

            @Override
            public long monotonicNanos() {
                return System.nanoTime();
            }
        };
    }

    KeymeshNode node(int i) {
        return nodes.get(i);
    }

    TcpRelay relay(int i) {
        return relays.get(i);
    }

    StatefulRedisConnection<String, String> connect(int i) {
        RedisClient client = RedisClient.create(resources, RedisURI.create("127.0.0.1", nodes.get(i).port()));
        client.setDefaultTimeout(Duration.ofSeconds(10));
        client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP2).build());
        redisClients.add(client);
        StatefulRedisConnection<String, String> c = client.connect();
        clients.add(c);
        return c;
    }

    RedisClient redisClient(int i) {
        RedisClient client = RedisClient.create(resources, RedisURI.create("127.0.0.1", nodes.get(i).port()));
        redisClients.add(client);
        return client;
    }

    /** A client write through node i's port (the node replicates it). */
    Object write(StatefulRedisConnection<String, String> c, int i, String... command) {
        return KeymeshFixture.call(c, command[0], java.util.Arrays.copyOfRange(command, 1, command.length));
    }

    /** INFO replication of node i as field -> value. */
    Map<String, String> info(StatefulRedisConnection<String, String> c) {
        Map<String, String> out = new HashMap<>();
        for (String line : c.sync().info("replication").split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                out.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return out;
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    @Override
    public void close() {
        for (StatefulRedisConnection<String, String> c : clients) {
            c.close();
        }
        for (RedisClient c : redisClients) {
            c.shutdown(0, 1, TimeUnit.SECONDS);
        }
        for (TcpRelay r : relays) {
            r.close();
        }
        for (KeymeshNode n : nodes) {
            n.close();
        }
        resources.shutdown(0, 1, TimeUnit.SECONDS);
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
