package io.keymesh.topology.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.storage.backend.BackendEndpoint;
import io.keymesh.storage.process.RedisProcess;
import io.keymesh.storage.process.RedisServerSpec;
import io.keymesh.topology.wire.RespError;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * keymesh's own backend calls against a real redis-server running a script past
 * busy-reply-threshold: a call (and the SELECT of a connection opened meanwhile) waits while Redis
 * answers -BUSY, reports "backend busy" once, runs exactly once after SCRIPT KILL, and reports the
 * wait over; BUSYGROUP and other errors are not waited on.
 */
class BackendClientBusyIT {
    private Path root;
    private RedisProcess redis;
    private BackendEndpoint endpoint;

    @BeforeEach
    void start() throws IOException {
        root = Files.createTempDirectory("keymesh-busy-it");
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
