package io.keymesh.proxy.demo;

import io.keymesh.proxy.mesh.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The container demo as compose/README.md walks through it, with the compose command found here
 * ({@code docker compose} or {@code docker-compose}): {@code up -d --build} returns once every node
 * is healthy; a SET on primary1 is read on primary2 and every replica; every replica follows primary1
 * and every node advertises its service name; {@code stop primary1} moves every replica to primary2
 * within fall x inter + 2 s and they keep serving; {@code up -d ready} brings primary1 back, it
 * catches up and seeds its clock from its log. Host ports are free loopback ports (the compose file's
 * {@code KEYMESH_DEMO_PORT_*}), the project name is the test's own.
 *
 * <p>compose/docker-engine finds or prepares the engine (as root on Debian it installs docker.io and
 * docker-compose, starts dockerd and builds the base image with debootstrap when no registry
 * answers); where it cannot, the class is skipped with its reason. Every container, volume and
 * network of the project goes at the end, and the daemon too when the script started it.
 */
class ComposeDemoIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path COMPOSE_FILE = ROOT.resolve("compose/docker-compose.yml");
    private static final Path ENGINE_SCRIPT = ROOT.resolve("compose/docker-engine");
    private static final Path STATE = Path.of("target/docker-engine").toAbsolutePath();
    private static final String PROJECT = "keymesh-demo-it";
    private static final List<String> NODES = List.of("primary1", "primary2", "replica1", "replica2", "replica3");
    private static final List<String> REPLICAS = List.of("replica1", "replica2", "replica3");
    /** conf/reference.conf's health-check fall x inter (3 x 1 s), which the demo keeps, plus 2 s. */
    private static final Duration FAILOVER = Duration.ofSeconds(3 * 1 + 2);
    /** What "right after" means for a read after a write on another node: loopback replication lag, with room. */
    private static final Duration REPLICATED = Duration.ofSeconds(1);
    private static final Duration BUILD_AND_UP = Duration.ofMinutes(15);

    private static final Map<String, Integer> ports = new LinkedHashMap<>();
    private static List<String> compose;
    private static boolean engineTried;
    private static String skipReason;

    @BeforeAll
    static void prepareEngine() throws Exception {
        engineTried = true;
        Files.createDirectories(STATE);
        long t0 = System.nanoTime();
        Result prepared = run(List.of(ENGINE_SCRIPT.toString(), "start", STATE.toString()), Map.of(), Duration.ofMinutes(15));
        if (prepared.exit == 3) {
            skipReason = "no Docker engine for the compose demo: " + prepared.output.strip();
            System.out.println("ComposeDemoIT SKIPPED: " + skipReason);
            return;
        }
        assertEquals(0, prepared.exit, () -> "compose/docker-engine start failed: " + prepared.output);
        String line = prepared.output.lines().filter(l -> l.startsWith("compose=")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("compose/docker-engine named no compose command: " + prepared.output));
        compose = new ArrayList<>(Arrays.asList(line.substring("compose=".length()).trim().split(" ")));
        System.out.printf("ComposeDemoIT: engine ready (%s) after %d s%n", line, secondsSince(t0));
        compose.addAll(List.of("-p", PROJECT, "-f", COMPOSE_FILE.toString()));
        for (String node : NODES) {
            ports.put(node, freePort());
        }
    }

    /** Where no engine can be had the test is reported as skipped, with the reason. */
    @BeforeEach
    void engineAvailable() {
        Assumptions.assumeTrue(skipReason == null, () -> skipReason);
    }

    @AfterAll
    static void tearDown() throws Exception {
        try {
            if (compose != null) {
                Result down = compose("down", "-v", "--remove-orphans");
                assertEquals(0, down.exit, () -> "compose down failed: " + down.output);
            }
        } finally {
            if (engineTried) {
                run(List.of(ENGINE_SCRIPT.toString(), "stop", STATE.toString()), Map.of(), Duration.ofMinutes(1));
            }
        }
    }

    @Test
    void readmeWalkthroughWriteReadFailOverToPrimary2AndCatchUp() throws Exception {
        long t0 = System.nanoTime();
        Result up = compose(BUILD_AND_UP, "up", "-d", "--build");
        assertEquals(0, up.exit, () -> "up -d --build failed: " + up.output);
        System.out.printf("ComposeDemoIT: up -d --build returned, every node healthy, after %d s%n", secondsSince(t0));

        // the first write of the demo, read right after it everywhere
        assertEquals("OK", cli("primary1", "set", "key1", "val1"), "redis-cli works right after up -d returned");
        for (String node : List.of("primary2", "replica1", "replica2", "replica3")) {
            Await.until(REPLICATED, "key1 on " + node, () -> "val1".equals(cli(node, "get", "key1")), () -> cli(node, "get", "key1"));
        }
        for (String replica : REPLICAS) {
            String info = cli(replica, "info", "replication");
            assertTrue(info.contains("master_host:primary1") && info.contains("master_link_status:up"),
                    replica + " follows primary1 (prefer-first):\n" + info);
        }
        String primary1 = cli("primary1", "info", "replication");
        for (String replica : REPLICAS) {
            assertTrue(primary1.contains("ip=" + replica + ",port=" + internalPort(replica)),
                    "primary1 lists " + replica + " by its service name:\n" + primary1);
        }
        assertTrue(primary1.contains("peer0:addr=primary2:6402") && primary1.contains("state=streaming"), primary1);
        assertTrue(!primary1.contains("0.0.0.0"), "no node advertises 0.0.0.0:\n" + primary1);

        // stop primary1: every replica on primary2 within fall x inter + 2 s, still serving
        Result stop = compose("stop", "primary1");
        assertEquals(0, stop.exit, () -> "stop primary1 failed: " + stop.output);
        long stopped = System.nanoTime();
        Await.until(FAILOVER, "every replica follows primary2 with its link up", () -> REPLICAS.stream().allMatch(r -> {
            String info = cli(r, "info", "replication");
            return info.contains("master_host:primary2") && info.contains("master_link_status:up");
        }), () -> cli("replica1", "info", "replication"));
        System.out.printf("ComposeDemoIT: every replica on primary2 %d ms after stop primary1 returned%n",
                (System.nanoTime() - stopped) / 1_000_000);
        assertEquals("OK", cli("primary2", "set", "key2", "val2"));
        Await.until(REPLICATED, "key2 on replica3", () -> "val2".equals(cli("replica3", "get", "key2")), () -> cli("replica3", "get", "key2"));
        assertEquals("val1", cli("replica1", "get", "key1"), "replicas keep their data across the failover");

        // primary1 back: up -d ready returns once it is healthy again; it caught up from primary2
        Result back = compose(Duration.ofMinutes(3), "up", "-d", "ready");
        assertEquals(0, back.exit, () -> "up -d ready failed: " + back.output);
        Await.until(REPLICATED, "key2 on primary1", () -> "val2".equals(cli("primary1", "get", "key2")), () -> cli("primary1", "get", "key2"));
        String logs = compose("logs", "--no-color", "primary1").output;
        assertTrue(logs.contains("clock seeded past the newest logged stamp 1"),
                "the restarted primary1 seeds its clock from its log:\n" + logs);
        Await.until(Duration.ofSeconds(10), "every replica back on primary1 (prefer-first)", () -> REPLICAS.stream()
                .allMatch(r -> cli(r, "info", "replication").contains("master_host:primary1")), () -> cli("replica2", "info", "replication"));
    }

    // ---- helpers -----------------------------------------------------------------------------------

    private static int internalPort(String node) {
        return switch (node) {
            case "primary1" -> 6401;
            case "primary2" -> 6402;
            default -> 6500 + Integer.parseInt(node.substring("replica".length()));
        };
    }

    /** redis-cli against a node's published loopback port; its output without the trailing newline (errors included). */
    private static String cli(String node, String... args) {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(ports.get(node))));
        cmd.addAll(List.of(args));
        try {
            return run(cmd, Map.of(), Duration.ofSeconds(10)).output.strip();
        } catch (IOException e) {
            throw new IllegalStateException("redis-cli did not run", e);
        }
    }

    private static Result compose(String... args) throws IOException {
        return compose(Duration.ofMinutes(2), args);
    }

    private static Result compose(Duration timeout, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(compose);
        cmd.addAll(List.of(args));
        Map<String, String> env = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> p : ports.entrySet()) {
            env.put("KEYMESH_DEMO_PORT_" + p.getKey().toUpperCase(), Integer.toString(p.getValue()));
        }
        return run(cmd, env, timeout);
    }

    private record Result(int exit, String output) {
    }

    /** Runs {@code cmd} to its end (killed after {@code timeout}, exit -1); stdout and stderr together. */
    private static Result run(List<String> cmd, Map<String, String> env, Duration timeout) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true);
        Path out = Files.createTempFile("compose-demo-", ".out");
        pb.redirectOutput(out.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroy);
                p.destroy();
                p.waitFor(10, TimeUnit.SECONDS);
                return new Result(-1, cmd + " still running after " + timeout + ":\n" + Files.readString(out, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static long secondsSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos);
    }

}
