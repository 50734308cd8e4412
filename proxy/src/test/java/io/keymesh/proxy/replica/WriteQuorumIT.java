package io.keymesh.proxy.replica;

import com.typesafe.config.ConfigFactory;
import io.keymesh.proxy.KeymeshNode;
import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.proxy.it.RespSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A primary with {@code min-replicas-to-write 1} and {@code min-replicas-max-lag 2s}, checked as a Redis
 * user would: writes answer Redis' NOREPLICAS until a replica streams from it, succeed while the replica
 * is attached (idle longer than the lag too: replicas acknowledge every second), and fail again once
 * the replica is stopped; reads work throughout; EXEC follows Redis' EXECABORT rules.
 */
class WriteQuorumIT {
    private static final RespSocket.Err NOREPLICAS = new RespSocket.Err("NOREPLICAS Not enough good replicas to write.");
    private static final long LAG_MAX_MILLIS = 2000;

    private Path root;
    private KeymeshNode primary;
    private KeymeshNode replica;

    @BeforeEach
    void startPrimary() throws Exception {
        root = Files.createTempDirectory("keymesh-quorum-");
        Map<String, Object> s = base("primary", 0);
        s.put("keymesh.replication.enabled", "true");
        s.put("keymesh.min-replicas-to-write", 1);
        s.put("keymesh.min-replicas-max-lag", LAG_MAX_MILLIS + "ms");
        primary = KeymeshNode.start(config(s));
    }

    @AfterEach
    void stopAll() throws IOException {
        if (replica != null) {
            replica.close();
        }
        if (primary != null) {
            primary.close();
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void writesNeedAGoodReplicaReadsDoNot() throws Exception {
        try (RespSocket c = new RespSocket(primary.port(), Duration.ofSeconds(10))) {
            assertEquals(NOREPLICAS, c.call("SET", "k", "v"));
            assertEquals(NOREPLICAS, c.call("EVAL", "return redis.call('SET', KEYS[1], 'v')", "1", "k"),
                    "a script that may write is refused like a write");
            assertEquals(null, c.call("EVAL_RO", "return redis.call('GET', KEYS[1])", "1", "k"), "a read-only one runs");
            assertEquals(null, c.call("GET", "k"));
            assertEquals("0", infoField(c, "min_slaves_good_slaves"));

            startReplica();
            await("writes accepted once the replica streams", 15_000, () -> "OK".equals(call(c, "SET", "k", "v1")));
            assertEquals("1", infoField(c, "min_slaves_good_slaves"));
            assertEquals("1", infoField(c, "connected_slaves"));

            Thread.sleep(LAG_MAX_MILLIS + 1500);       // no writes for longer than the lag: heartbeat acks keep it good
            assertEquals("OK", c.call("SET", "k", "v2"));
            assertEquals("v2", c.call("GET", "k"));

            replica.close();
            replica = null;
            long stopped = System.nanoTime();
            await("NOREPLICAS after the replica stopped", LAG_MAX_MILLIS + 3000,
                    () -> NOREPLICAS.equals(call(c, "SET", "k", "v3")));
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);
            assertEquals("v2", c.call("GET", "k"), "reads keep working, the refused write changed nothing (after "
                    + tookMillis + " ms)");
            assertEquals("0", infoField(c, "min_slaves_good_slaves"));
        }
    }

    @Test
    void refusedWriteInsideMultiAbortsExec() throws Exception {
        try (RespSocket c = new RespSocket(primary.port(), Duration.ofSeconds(10))) {
            assertEquals("OK", c.call("MULTI"));
            assertEquals(NOREPLICAS, c.call("SET", "k", "v"));
            assertEquals("QUEUED", c.call("GET", "k"));
            assertEquals(new RespSocket.Err("EXECABORT Transaction discarded because of previous errors."),
                    c.call("EXEC"));
            assertEquals("OK", c.call("MULTI"));
            assertEquals("QUEUED", c.call("GET", "k"));
            assertEquals(Collections.singletonList(null), c.call("EXEC"), "a transaction of reads still runs");
        }
    }

    @Test
    void execOfQueuedWritesIsAbortedWhenTheReplicaGoes() throws Exception {
        startReplica();
        try (RespSocket c = new RespSocket(primary.port(), Duration.ofSeconds(10));
             RespSocket other = new RespSocket(primary.port(), Duration.ofSeconds(10))) {
            await("writes accepted once the replica streams", 15_000, () -> "OK".equals(call(other, "SET", "a", "0")));
            assertEquals("OK", c.call("MULTI"));
            assertEquals("QUEUED", c.call("SET", "a", "1"));
            replica.close();
            replica = null;
            await("no good replica left", LAG_MAX_MILLIS + 3000,
                    () -> "0".equals(infoField(other, "min_slaves_good_slaves")));
            assertEquals(new RespSocket.Err("EXECABORT Transaction discarded because of: "
                    + "NOREPLICAS Not enough good replicas to write."), c.call("EXEC"));
            assertEquals(new RespSocket.Err("ERR EXEC without MULTI"), c.call("EXEC"));
            assertEquals("0", c.call("GET", "a"));
        }
    }

    private void startReplica() throws InterruptedException {
        Map<String, Object> s = base("replica", 0);
        s.put("keymesh.role", "replica");
        s.put("keymesh.upstreams", List.of("127.0.0.1:" + primary.port()));
        s.put("keymesh.health-check.inter", "200ms");
        s.put("keymesh.health-check.timeout", "500ms");
        s.put("keymesh.health-check.rise", 1);
        replica = KeymeshNode.start(config(s));
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

    private static Object call(RespSocket c, String... args) {
        try {
            return c.call(args);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String infoField(RespSocket c, String field) {
        String info = String.valueOf(call(c, "INFO", "replication"));
        for (String line : info.split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1);
            }
        }
        return null;
    }

    private static void await(String what, long timeoutMillis, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeoutMillis + " ms waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
