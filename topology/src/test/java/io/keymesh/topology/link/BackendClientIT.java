package io.keymesh.topology.link;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.storage.backend.BackendEndpoint;
import io.keymesh.storage.process.RedisProcess;
import io.keymesh.storage.process.RedisServerSpec;
import io.keymesh.topology.wire.RespError;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * keymesh's blocking backend calls against a real redis-server: each kind of reply comes back as
 * the value the links read (String, Long, byte[], List, null, {@link RespError}), a reply of many
 * megabytes arrives whole, and a connection the server closes fails the next call with an IOException.
 */
class BackendClientIT {
    private Path root;
    private RedisProcess redis;
    private BackendEndpoint endpoint;

    @BeforeEach
    void start() throws IOException {
        root = Files.createTempDirectory("keymesh-backend-client-it");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        redis = new RedisProcess(new RedisServerSpec(null, root.resolve("r"), false, "everysec", 16,
                Map.of("port", Integer.toString(port), "bind", "127.0.0.1")));
        redis.start(Duration.ofSeconds(20));
        endpoint = new BackendEndpoint.Tcp("127.0.0.1", port);
    }

    @AfterEach
    void stop() throws IOException {
        if (redis != null) {
            redis.stop(Duration.ofSeconds(10));
        }
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private BackendClient open(int db) throws IOException {
        return BackendClient.open(endpoint, null, null, db, 2000, new BusyWait("test"));
    }

    private static String text(Object bulk) {
        return new String((byte[]) bulk, StandardCharsets.UTF_8);
    }

    @Test
    void everyKindOfReplyComesBackAsItsValue() throws IOException {
        try (BackendClient c = open(5)) {
            assertEquals("PONG", c.call("PING"));
            assertEquals("OK", c.call("SET", "k", "v"));
            assertEquals("v", text(c.call("GET", "k")));
            assertNull(c.call("GET", "missing"));
            assertEquals(3L, c.call("INCRBY", "n", "3"));
            assertEquals(List.of(), c.call("LRANGE", "missing", "0", "-1"));
            assertNull(c.call("BLPOP", "missing", "0.01"), "a null array");
            Object wrong = c.call("LPUSH", "k", "x");
            assertTrue(wrong instanceof RespError e && e.message().startsWith("WRONGTYPE"), String.valueOf(wrong));
            assertThrows(BackendCallException.class, () -> c.ok(List.of("LPUSH", "k", "x")));

            c.ok(List.of("XADD", "s", "1-0", "a", "1", "b", "2"));
            c.ok(List.of("XADD", "s", "2-0", "c", "3"));
            List<?> entries = (List<?>) c.call("XRANGE", "s", "-", "+");
            assertEquals(2, entries.size());
            List<?> first = (List<?>) entries.get(0);
            assertEquals("1-0", text(first.get(0)));
            assertEquals(List.of("a", "1", "b", "2"), ((List<?>) first.get(1)).stream().map(BackendClientIT::text).toList());
            c.ok(List.of("HSET", "h", "f", "1"));
            assertEquals(List.of("f", "1"), ((List<?>) c.call("HGETALL", "h")).stream().map(BackendClientIT::text).toList());
        }
    }

    @Test
    void aReplyOfManyMegabytesArrivesWhole() throws IOException {
        byte[] value = new byte[12 * 1024 * 1024];
        Arrays.fill(value, (byte) 'x');
        value[value.length - 1] = 'y';
        try (BackendClient c = open(0)) {
            assertEquals("OK", c.ok(List.of("SET", "big", value)));
            assertArrayEquals(value, (byte[]) c.call("GET", "big"));
            assertEquals("PONG", c.call("PING"), "the stream stays in step after it");
        }
    }

    @Test
    void aConnectionTheServerClosesFailsTheNextCall() throws IOException {
        try (BackendClient c = open(0); BackendClient killer = open(0)) {
            long id = (Long) c.call("CLIENT", "ID");
            assertEquals(1L, killer.call("CLIENT", "KILL", "ID", Long.toString(id)));
            assertThrows(IOException.class, () -> c.call("PING"));
        }
    }
}
