package io.keymesh.storage.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.storage.backend.BackendCheck;
import io.keymesh.storage.backend.BackendEndpoint;
import io.keymesh.storage.backend.BackendInfo;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real redis-server: persistence across restarts, supervision, stale-server reclaim. */
class RedisProcessIT {

    private static final Duration READY = Duration.ofSeconds(10);
    private static final Duration GRACE = Duration.ofSeconds(5);
    private static ClientResources resources;

    @TempDir
    Path tmp;

    private final List<RedisProcess> managed = new ArrayList<>();
    private final List<Process> external = new ArrayList<>();
    private final List<Path> extraDirs = new ArrayList<>();

    @BeforeAll
    static void setUp() {
        resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
    }

    @AfterAll
    static void tearDown() {
        resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (RedisProcess p : managed) {
            p.stop(GRACE);
        }
        for (Process p : external) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        for (Path dir : extraDirs) {
            RedisServerConfigTest.deleteTree(dir);
        }
    }

    private RedisProcess newProcess(RedisServerSpec spec) {
        RedisProcess p = new RedisProcess(spec);
        managed.add(p);
        return p;
    }

    private static <T> T redis(Path socket, Function<RedisCommands<String, String>, T> work) {
        RedisClient client = RedisClient.create(resources,
                RedisURI.Builder.socket(socket.toString()).withTimeout(Duration.ofSeconds(5)).build());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            return work.apply(connection.sync());
        } finally {
            client.shutdown(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void dataSurvivesStopAndStart() {
        Path dir = tmp.resolve("node");
        RedisProcess p = newProcess(RedisServerSpec.defaults(dir));
        p.start(READY);
        assertTrue(p.isAlive());
        long firstPid = p.pid();
        assertEquals(dir.resolve("redis.sock"), p.socketPath());
        redis(p.socketPath(), r -> {
            r.set("k", "v1");
            r.select(3);
            return r.hset("h", "f", "x");
        });

        p.stop(GRACE);
        assertFalse(p.isAlive());
        assertEquals(-1, p.pid());
        assertFalse(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false));
        assertFalse(Files.exists(p.socketPath()), "redis removes its socket on a clean shutdown");
        assertTrue(Files.isDirectory(dir.resolve("appendonlydir")));
        p.stop(GRACE); // idempotent

        p.start(READY);
        assertNotEquals(firstPid, p.pid());
        assertEquals("v1", redis(p.socketPath(), r -> r.get("k")));
        assertEquals("x", redis(p.socketPath(), r -> {
            r.select(3);
            return r.hget("h", "f");
        }));
    }

    @Test
    void backendCheckAcceptsTheManagedServer() {
        RedisProcess p = newProcess(RedisServerSpec.defaults(tmp.resolve("node")));
        p.start(READY);
        BackendInfo info = BackendCheck.check(BackendEndpoint.unixSocket(p.socketPath()), null, null,
                Duration.ofSeconds(5));
        assertTrue(info.version().startsWith("7."), info.toString());
        assertEquals(16, info.databases());
        assertEquals("standalone", info.mode());
        assertEquals(p.pid(), info.processId());
    }

    @Test
    void supervisorRestartsAfterKill9AndKeepsData() throws Exception {
        RedisProcess p = newProcess(RedisServerSpec.defaults(tmp.resolve("node")));
        p.start(READY);
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        p.supervise(new RedisProcess.Listener() {
            @Override
            public void onDown(String reason) {
                events.add("down: " + reason);
            }

            @Override
            public void onUp() {
                events.add("up");
            }
        });
        assertThrows(IllegalStateException.class, () -> p.start(READY), "supervised: no manual start");
        redis(p.socketPath(), r -> r.set("survives", "kill -9"));
        long oldPid = p.pid();

        assertTrue(ProcessHandle.of(oldPid).orElseThrow().destroyForcibly());

        String down = events.poll(5, TimeUnit.SECONDS);
        assertTrue(down != null && down.startsWith("down: redis-server pid " + oldPid), String.valueOf(down));
        assertTrue(down.contains("signal 9"), down);
        assertEquals("up", events.poll(5, TimeUnit.SECONDS));
        long newPid = p.pid();
        assertTrue(p.isAlive());
        assertNotEquals(oldPid, newPid);
        assertEquals("kill -9", redis(p.socketPath(), r -> r.get("survives")));

        p.stop(GRACE);
        assertFalse(ProcessHandle.of(newPid).map(ProcessHandle::isAlive).orElse(false));
        assertNull(events.poll(300, TimeUnit.MILLISECONDS), "a requested stop is not reported as down");
        assertFalse(p.isAlive());
    }

    @Test
    void staleServerFromAnEarlierRunIsReclaimed() throws Exception {
        Path dir = tmp.resolve("node");
        RedisServerConfig config = new RedisServerConfig(RedisServerSpec.defaults(dir));
        Path conf = config.write();
        Process stale = new ProcessBuilder(RedisProcess.findRedisServer(null).toString(), conf.toString())
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        external.add(stale);
        long deadline = System.nanoTime() + READY.toNanos();
        while (true) {
            try {
                if (RespProbe.isPong(RespProbe.call(io.keymesh.storage.time.TimeSource.system(), config.socketPath(), Duration.ofMillis(200), "PING"))) {
                    break;
                }
            } catch (IOException e) {
                // not listening yet
            }
            assertTrue(System.nanoTime() < deadline, "stale server did not come up");
            Thread.sleep(10);
        }
        redis(config.socketPath(), r -> r.set("old", "data"));

        RedisProcess p = newProcess(RedisServerSpec.defaults(dir));
        p.start(READY);

        assertTrue(stale.waitFor(5, TimeUnit.SECONDS), "stale server shut down");
        assertEquals(0, stale.exitValue(), "clean SHUTDOWN, not a kill");
        assertNotEquals(stale.pid(), p.pid());
        assertEquals("data", redis(p.socketPath(), r -> r.get("old")));
    }

    @Test
    void earlyExitReportsTheLogTail() {
        RedisProcess p = newProcess(RedisServerSpec.defaults(tmp.resolve("node"))
                .withExtraConfig("no-such-directive", "yes"));
        long t0 = System.nanoTime();
        RedisStartException e = assertThrows(RedisStartException.class, () -> p.start(READY));
        assertTrue(System.nanoTime() - t0 < READY.toNanos() / 2, "fails fast, not at the timeout");
        assertTrue(e.getMessage().contains("exited with exit code 1 before it was ready"), e.getMessage());
        assertTrue(e.getMessage().contains("no-such-directive"), e.getMessage());
        assertFalse(p.isAlive());
        assertEquals(-1, p.pid());
    }

    @Test
    void longDataDirUsesShortSocketUnderTmp() {
        Path dir = tmp.resolve("a".repeat(60)).resolve("b".repeat(60));
        RedisProcess p = newProcess(RedisServerSpec.defaults(dir));
        extraDirs.add(p.socketPath().getParent());
        p.start(READY);
        assertTrue(p.socketPath().startsWith(Path.of("/tmp")), p.socketPath().toString());
        assertEquals("PONG", redis(p.socketPath(), RedisCommands::ping));
    }

    @Test
    void secondProcessOnTheSameDataDirIsRefused() {
        Path dir = tmp.resolve("node");
        RedisProcess first = newProcess(RedisServerSpec.defaults(dir));
        first.start(READY);
        long pid = first.pid();

        RedisProcess second = newProcess(RedisServerSpec.defaults(dir));
        RedisStartException e = assertThrows(RedisStartException.class, () -> second.start(READY));
        assertTrue(e.getMessage().contains("already used by another RedisProcess"), e.getMessage());
        assertTrue(first.isAlive());
        assertEquals(pid, first.pid(), "the running server was not reclaimed");
    }
}
