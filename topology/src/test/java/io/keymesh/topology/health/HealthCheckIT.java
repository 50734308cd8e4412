package io.keymesh.topology.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.storage.process.RedisProcess;
import io.keymesh.storage.process.RedisServerSpec;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.failover.ReplicaSettings;
import io.keymesh.topology.failover.UpstreamTracker;
import io.keymesh.topology.failover.WritePolicy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Health checks and primary selection against real redis-servers on loopback TCP ports. */
class HealthCheckIT {
    private static final HealthCheckSettings SETTINGS =
            new HealthCheckSettings(Duration.ofMillis(250), Duration.ofMillis(250), 3, 2);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    /** Scheduling slack on a busy two-core machine, on top of the expected fall/rise time. */
    private static final long SLACK_MILLIS = 750;

    private final Deque<AutoCloseable> cleanup = new ArrayDeque<>();
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private Path root;

    private record Switch(Optional<UpstreamAddress> from, Optional<UpstreamAddress> to, String reason, long atNanos) {
    }

    private record Event(UpstreamAddress upstream, HealthState from, HealthState to, String reason, long atNanos) {
    }

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createTempDirectory("keymesh-health-it");
    }

    @AfterEach
    void tearDown() throws Exception {
        while (!cleanup.isEmpty()) {
            cleanup.pop().close();
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void upstreamGoesDownAfterFallChecksAndUpAfterRiseAndTheReplicaSwitches() throws Exception {
        RedisProcess a = redis("a", freePort(), Map.of());
        RedisProcess b = redis("b", freePort(), Map.of());
        UpstreamAddress ua = address(a);
        UpstreamAddress ub = address(b);
        UpstreamTracker tracker = new UpstreamTracker(
                new ReplicaSettings(List.of(ua, ub), true, WritePolicy.READONLY, Duration.ofSeconds(5), true, SETTINGS),
                new RespHealthProbe(SETTINGS.timeout(), null, null), TimeSource.system());
        cleanup.push(tracker);
        BlockingQueue<Switch> switches = new LinkedBlockingQueue<>();
        tracker.addListener((from, to, reason) -> switches.add(new Switch(from, to, reason, System.nanoTime())));
        tracker.start();
        Switch first = awaitSwitch(switches);
        if (!first.to().equals(Optional.of(ua))) {
            // b's first check answered before a's: the tracker starts on b, and prefer-first moves it to a
            // as soon as a's check passes
            assertEquals(Optional.of(ub), first.to());
            assertEquals(Optional.of(ua), awaitSwitch(switches).to());
        }
        awaitHealth(tracker, ub, "up");

        long stoppedAt = System.nanoTime();
        a.stop(Duration.ofSeconds(10));
        Switch away = awaitSwitch(switches);
        assertEquals(Optional.of(ub), away.to());
        long downMillis = (away.atNanos() - stoppedAt) / 1_000_000;
        long fallMillis = SETTINGS.fall() * SETTINGS.inter().toMillis();
        assertTrue(downMillis <= fallMillis + SLACK_MILLIS, "down after " + downMillis + " ms, fall*inter " + fallMillis);
        assertTrue(downMillis >= fallMillis - SETTINGS.inter().toMillis(),
                "down only after fall failed checks, took " + downMillis + " ms");
        assertTrue(away.reason().contains("connection refused"), away.reason());
        assertEquals(new UpstreamTracker.UpstreamHealth(ua, "down", "connection refused"), tracker.health().get(0));
        assertEquals(Optional.of(ub), tracker.current());

        a.start(START_TIMEOUT);
        long restartedAt = System.nanoTime();
        Switch back = awaitSwitch(switches);
        assertEquals(Optional.of(ua), back.to(), "prefer-first returns to a");
        long upMillis = (back.atNanos() - restartedAt) / 1_000_000;
        long riseMillis = SETTINGS.rise() * SETTINGS.inter().toMillis();
        assertTrue(upMillis <= riseMillis + SLACK_MILLIS, "up after " + upMillis + " ms, rise*inter " + riseMillis);
        assertTrue(upMillis >= riseMillis - 2 * SETTINGS.inter().toMillis(), "up after " + upMillis + " ms");
        assertTrue(back.reason().contains("ROLE master"), back.reason());
        assertEquals(new UpstreamTracker.UpstreamHealth(ua, "up", "PONG, ROLE master"), tracker.health().get(0));
        assertTrue(switches.isEmpty(), "no other switches: " + switches);
    }

    @Test
    void aRedisReplicaASilentPortAndAWrongPasswordFailTheCheck() throws Exception {
        RedisProcess primary = redis("primary", freePort(), Map.of());
        RedisProcess replica = redis("replica", freePort(), Map.of("replicaof", "127.0.0.1 " + address(primary).port()));
        ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        cleanup.push(silent);
        Thread acceptor = new Thread(() -> {
            List<Socket> held = new ArrayList<>();
            try {
                while (true) {
                    held.add(silent.accept()); // accept, never answer
                }
            } catch (IOException closed) {
                held.forEach(s -> {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                });
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        RedisProcess locked = redis("locked", freePort(), Map.of("requirepass", "s3cret"));

        RespHealthProbe probe = new RespHealthProbe(SETTINGS.timeout(), null, null);
        HealthProbe.ProbeResult r = probe.probe(address(replica));
        assertTrue(!r.passed() && r.detail().equals("not a primary: ROLE slave"), r.toString());
        r = probe.probe(new UpstreamAddress("127.0.0.1", silent.getLocalPort()));
        assertTrue(!r.passed() && r.detail().startsWith("no reply within"), r.toString());
        r = probe.probe(address(locked));
        assertTrue(!r.passed() && r.detail().contains("NOAUTH"), r.toString());
        r = new RespHealthProbe(SETTINGS.timeout(), null, "wrong").probe(address(locked));
        assertTrue(!r.passed() && r.detail().startsWith("AUTH refused"), r.toString());
        r = new RespHealthProbe(SETTINGS.timeout(), "default", "s3cret").probe(address(locked));
        assertTrue(r.passed() && r.detail().equals("PONG, ROLE master"), r.toString());

        UpstreamAddress replicaAddress = address(replica);
        monitor(List.of(replicaAddress), probe, (u, f, t, reason) -> events.add(new Event(u, f, t, reason, 0)));
        Event e = awaitState(replicaAddress, HealthState.DOWN);
        assertTrue(e.reason().contains("not a primary"), e.reason());
    }

    // ---- helpers --------------------------------------------------------------------------------

    private void monitor(List<UpstreamAddress> upstreams, HealthProbe probe, HealthListener listener) {
        HealthMonitor m = new HealthMonitor(upstreams, SETTINGS, probe, TimeSource.system(), listener);
        cleanup.push(m);
        m.start();
    }

    private static Switch awaitSwitch(BlockingQueue<Switch> switches) throws InterruptedException {
        Switch s = switches.poll(15, TimeUnit.SECONDS);
        if (s == null) {
            throw new AssertionError("no switch of upstream in time");
        }
        return s;
    }

    private static void awaitHealth(UpstreamTracker tracker, UpstreamAddress upstream, String state)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (tracker.health().stream().noneMatch(h -> h.upstream().equals(upstream) && h.state().equals(state))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(upstream + " not " + state + ": " + tracker.health());
            }
            Thread.sleep(20);
        }
    }

    private Event awaitState(UpstreamAddress upstream, HealthState state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            Event e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (e == null) {
                throw new AssertionError(upstream + " did not reach " + state + " in time");
            }
            if (e.upstream().equals(upstream) && e.to() == state) {
                return e;
            }
        }
    }

    /** A redis-server (the managed-backend code) that also listens on a loopback TCP port. */
    private RedisProcess redis(String name, int port, Map<String, String> extra) {
        Map<String, String> conf = new java.util.LinkedHashMap<>();
        conf.put("port", Integer.toString(port));
        conf.put("bind", "127.0.0.1");
        conf.putAll(extra);
        RedisProcess p = new RedisProcess(new RedisServerSpec(null, root.resolve(name), false, "everysec", 16,
                conf));
        cleanup.push(() -> p.stop(Duration.ofSeconds(10)));
        p.start(START_TIMEOUT);
        return p;
    }

    private static UpstreamAddress address(RedisProcess p) {
        return new UpstreamAddress("127.0.0.1", Integer.parseInt(p.spec().extraConfig().get("port")));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
