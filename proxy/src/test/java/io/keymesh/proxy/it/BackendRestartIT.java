package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.keymesh.proxy.it.RespSocket.Err;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * kill -9 of the managed redis-server with clients connected: while it is down, commands get a
 * prompt error that names keymesh/the backend; once the supervisor has restarted it, the same client
 * connections work again and data written (and fsynced by appendfsync everysec) before the kill is
 * still there.
 */
class BackendRestartIT extends OneNodePerTest {
    @Test
    void clientsGetErrorsWhileTheBackendIsDownAndTheSameConnectionsWorkAfterItsRestart() throws Exception {
        StatefulRedisConnection<String, String> connection = fx.connect();
        connection.setTimeout(Duration.ofSeconds(5));
        RedisCommands<String, String> lettuce = connection.sync();
        RespSocket raw = fx.raw().timeout(Duration.ofSeconds(5));
        for (int i = 0; i < 100; i++) {
            lettuce.set("before:" + i, "v" + i);
        }
        lettuce.select(3);
        lettuce.set("before:db3", "three");
        lettuce.select(0);
        assertEquals("OK", raw.call("SET", "before:raw", "r"));
        Thread.sleep(1500);                        // appendfsync everysec: the writes are on disk now

        long pid = fx.node().redis().pid();
        ProcessHandle redis = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no redis-server pid " + pid));
        assertTrue(redis.destroyForcibly(), "kill -9 of redis-server " + pid);
        redis.onExit().get(5, TimeUnit.SECONDS);

        // while it is down: every command gets an error promptly, none hangs
        List<String> errors = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        boolean back = false;
        while (!back) {
            assertTrue(System.nanoTime() < deadline, "keymesh did not serve again within 10 s; errors: " + errors);
            long t0 = System.nanoTime();
            try {
                assertEquals("v1", lettuce.get("before:1"));
                back = true;
            } catch (RedisCommandExecutionException e) {
                errors.add(e.getMessage());
            } catch (RedisCommandTimeoutException e) {
                fail("a command hung while the backend was down (5 s timeout); errors so far: " + errors);
            }
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 5000, "a reply took more than 5 s");
            if (!back) {
                Thread.sleep(10);
            }
        }
        assertTrue(!errors.isEmpty(), "the first command right after kill -9 should fail, not wait for the restart");
        for (String error : errors) {
            assertTrue(error.startsWith("ERR") && error.contains("keymesh") && error.contains("backend"),
                    "error while the backend is down names keymesh and the backend: " + error);
        }

        // the same connections work again, and the data survived
        assertNotEquals(pid, fx.node().redis().pid(), "the supervisor started a new redis-server");
        for (int i = 0; i < 100; i++) {
            assertEquals("v" + i, lettuce.get("before:" + i));
        }
        lettuce.select(3);
        assertEquals("three", lettuce.get("before:db3"));
        lettuce.select(0);
        awaitRawWorks(raw);
        assertEquals("r", raw.call("GET", "before:raw"));
        assertEquals("OK", raw.call("SET", "after", "1"));
        assertEquals("1", lettuce.get("after"));
        String keymeshInfo = lettuce.info("keymesh");
        assertTrue(keymeshInfo.contains("backend_status:up"), keymeshInfo);
        assertTrue(keymeshInfo.contains("backend_restarts:1"), keymeshInfo);
    }

    /** The raw client may see errors for requests racing the restart; it must answer normally within 10 s. */
    private static void awaitRawWorks(RespSocket raw) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Object reply = raw.call("PING");
            if ("PONG".equals(reply)) {
                return;
            }
            assertTrue(reply instanceof Err, "PING replied " + reply);
            assertTrue(System.nanoTime() < deadline, "the raw connection did not recover: " + reply);
            Thread.sleep(20);
        }
    }

    @Test
    void infoReportsTheBackendDownWithLoadingOneWhileItRestarts() throws Exception {
        try (RespSocket s = fx.raw()) {
            long pid = fx.node().redis().pid();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            ProcessHandle.of(pid).ifPresent(p -> p.onExit().join());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            boolean sawDown = false;
            while (System.nanoTime() < deadline) {
                Object info = s.call("INFO");
                if (info instanceof String text && text.contains("backend_status:down")) {
                    assertTrue(text.contains("loading:1"), text);
                    sawDown = true;
                }
                if (info instanceof String text && text.contains("backend_status:up") && fx.node().redis().pid() != pid) {
                    assertTrue(text.contains("loading:0"), text);
                    break;
                }
                Thread.sleep(5);
            }
            assertTrue(sawDown, "INFO showed backend_status:down and loading:1 while redis-server restarted");
            assertEquals(1, fx.node().backendStatus().restarts());
            assertEquals("PONG", s.call("PING"));
        }
    }
}
