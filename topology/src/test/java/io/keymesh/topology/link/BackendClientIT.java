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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * keymesh's blocking backend calls against a real redis-server: each kind of reply comes back as
 * the value the links read (String, Long, byte[], List, null, {@link RespError}), a reply of many
 * megabytes arrives whole, a connection the server closes fails the next call with an IOException;
 * and with a script running past busy-reply-threshold, a call (and the SELECT of a connection
 * opened meanwhile) waits while Redis answers -BUSY, reports "backend busy" once, runs exactly once
 * after SCRIPT KILL, and reports the wait over; BUSYGROUP and other errors are not waited on.
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
                Map.of("port", Integer.toString(port), "bind", "127.0.0.1", "busy-reply-threshold", "50")));
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

    private BackendClient open(int db, BusyWait busy) throws IOException {
        return BackendClient.open(endpoint, null, null, db, 2000, busy);
    }

    private BackendClient open(int db) throws IOException {
        return open(db, new BusyWait("test"));
    }

    @Test
    void aCallWaitsWhileAScriptRunsAndRunsExactlyOnceAfterTheKill() throws Exception {
        try (BackendClient runner = open(0, new BusyWait("runner")); BackendClient killer = open(0, new BusyWait("killer"))) {
            CompletableFuture<Object> spinning = CompletableFuture.supplyAsync(() -> {
                try {
                    return runner.call("EVAL", "while true do end", "0");
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitBusy();
            List<String> reports = new CopyOnWriteArrayList<>();
            BusyWait busy = new BusyWait("test link").reportTo(reports::add);
            CompletableFuture<Object> incr = CompletableFuture.supplyAsync(() -> {
                // opened while busy: its SELECT waits too, then the INCR
                try (BackendClient link = open(3, busy)) {
                    return link.call("INCR", "applied");
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (reports.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(List.of(BusyWait.BACKEND_BUSY), reports, "the wait is reported once");
            assertTrue(!incr.isDone(), "the call waits while the script runs");

            assertEquals("OK", killer.call("SCRIPT", "KILL"));
            assertInstanceOf(RespError.class, spinning.get(5, TimeUnit.SECONDS));
            assertEquals(1L, incr.get(5, TimeUnit.SECONDS), "the INCR ran exactly once");
            assertEquals(List.of(BusyWait.BACKEND_BUSY, ""), reports, "the end of the wait is reported once");
            try (BackendClient check = open(3, new BusyWait("check"))) {
                assertEquals("1", new String((byte[]) check.call("GET", "applied")));
                Object group = check.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
                assertEquals("OK", group);
                Object again = check.call("XGROUP", "CREATE", "s", "g", "$");
                assertTrue(again instanceof RespError e && e.message().startsWith("BUSYGROUP"), String.valueOf(again));
            }
        }
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

    /** Waits until a fresh connection gets -BUSY (the script runs past the threshold). */
    private void awaitBusy() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", ((BackendEndpoint.Tcp) endpoint).port())) {
                s.getOutputStream().write("PING\r\n".getBytes());
                byte[] reply = new byte[5];
                int n = s.getInputStream().read(reply);
                if (n == 5 && new String(reply).equals("-BUSY")) {
                    return;
                }
            }
        }
        throw new AssertionError("the script did not make the backend busy within 10 s");
    }
}
