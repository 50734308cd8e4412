package io.keymesh.proxy.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Runs {@code bin/keymesh demo} itself, as a user would, on the real conf/demo configs with their
 * ports moved to free ones: five keymesh processes with their managed redis-servers.
 *
 * <p>The tests share one demo and run in order: the process lifecycle ({@link #statusListsEveryNode()},
 * {@link #stoppingAndStartingOnePrimaryShowsInStatus()}, {@link #stopEndsEveryProcessOfTheDemo()}) and,
 * separately, failover ({@link #replicasSwitchToPrimary2WhenPrimary1Stops()}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DemoScriptIT {
    private static final List<String> NODES = List.of("primary1", "primary2", "replica1", "replica2", "replica3");
    private static final Map<String, Integer> DEMO_PORTS = Map.of(
            "primary1", 6401, "primary2", 6402, "replica1", 6501, "replica2", 6502, "replica3", 6503);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    /**
     * How long the status table may take to show the switch: fall * inter of the default health
     * checks (3 s) plus slack for five JVMs and the status command itself on a loaded 2-core
     * machine. The exact bound (fall * inter + 2 s) is asserted by ReplicaFailoverIT.
     */
    private static final Duration FAILOVER_TIMEOUT = Duration.ofSeconds(15);

    private final Path projectRoot = Path.of("..").toAbsolutePath().normalize();
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private Path root;

    /** One row of the status table. */
    record Row(String node, String port, String pid, String state, String role, String upstream, String link,
            String keys, String lag) {
    }

    @BeforeAll
    void startDemo() throws Exception {
        root = Files.createTempDirectory("keymesh-demo-it");
        Path conf = Files.createDirectories(root.resolve("conf"));
        for (String node : NODES) {
            ports.put(node, freePort());
        }
        for (String node : NODES) {
            String text = Files.readString(projectRoot.resolve("conf/demo/" + node + ".conf"));
            for (String other : NODES) {
                text = text.replace(Integer.toString(DEMO_PORTS.get(other)), Integer.toString(ports.get(other)));
            }
            Files.writeString(conf.resolve(node + ".conf"), text);
        }
        String out = demo("start");
        for (String node : NODES) {
            assertTrue(out.contains("started " + node), out);
        }
    }

    @AfterAll
    void stopDemo() throws Exception {
        try {
            demo("stop");
        } finally {
            for (long pid : demoProcesses()) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            try (Stream<Path> s = Files.walk(root)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Order(1)
    void statusListsEveryNode() throws Exception {
        Map<String, Row> rows = awaitStatus(r -> running(r, "primary1") && running(r, "primary2"), START_TIMEOUT);
        assertEquals(NODES, new ArrayList<>(rows.keySet()));
        for (String node : NODES) {
            assertEquals(Integer.toString(ports.get(node)), rows.get(node).port());
        }
        assertEquals("primary", rows.get("primary1").role());
        assertEquals("0", rows.get("primary1").keys());
        assertEquals("OK", redisCli(ports.get("primary1"), "SET", "greeting", "hello").trim());
        rows = status();
        assertEquals("1", rows.get("primary1").keys(), "the keys column counts the node's keys");
        rows = awaitStatus(r -> r.get("primary1").link().equals("up(1/1)") && r.get("primary2").link().equals("up(1/1)"),
                START_TIMEOUT);
        for (String primary : List.of("primary1", "primary2")) {
            assertTrue(rows.get(primary).lag().matches("[0-9]+ms"), "a primary's LAG column: " + lastStatusText);
        }
    }

    @Test
    @Order(2)
    void replicasSwitchToPrimary2WhenPrimary1Stops() throws Exception {
        Map<String, Row> rows = awaitStatus(r -> NODES.stream().allMatch(n -> !r.get(n).state().equals("starting")),
                START_TIMEOUT);
        List<String> notRunning = NODES.stream().filter(n -> n.startsWith("replica"))
                .filter(n -> !rows.get(n).state().equals("running")).toList();
        assertTrue(notRunning.isEmpty(), () -> "replica nodes are not running (" + notRunning
                + "); the status table says:\n" + lastStatusText);
        String p1 = "127.0.0.1:" + ports.get("primary1");
        String p2 = "127.0.0.1:" + ports.get("primary2");
        awaitStatus(r -> replicasFollow(r, p1), Duration.ofSeconds(30));

        demo("stop", "primary1");
        awaitStatus(r -> replicasFollow(r, p2), FAILOVER_TIMEOUT);

        demo("start", "primary1");
        awaitStatus(r -> running(r, "primary1"), START_TIMEOUT);
    }

    @Test
    @Order(3)
    void stoppingAndStartingOnePrimaryShowsInStatus() throws Exception {
        if (!status().get("primary1").state().equals("running")) {
            demo("start", "primary1");        // an earlier test may have left it stopped
        }
        awaitStatus(r -> running(r, "primary1"), START_TIMEOUT);
        long keymeshPid = Long.parseLong(status().get("primary1").pid());
        List<Long> redisPids = processesMentioning(root.resolve("data/primary1/redis").toString());
        assertEquals(1, redisPids.size(), "primary1's managed redis-server runs: " + redisPids);

        String out = demo("stop", "primary1");
        assertTrue(out.contains("stopped primary1"), out);
        Map<String, Row> rows = status();
        assertEquals("stopped", rows.get("primary1").state());
        assertEquals("-", rows.get("primary1").pid());
        assertEquals("running", rows.get("primary2").state(), "the other primary keeps serving");
        awaitStatus(r -> r.get("primary2").link().equals("down(0/1)"), FAILOVER_TIMEOUT);
        assertTrue(ProcessHandle.of(keymeshPid).isEmpty(), "primary1's keymesh process is gone");
        assertTrue(ProcessHandle.of(redisPids.get(0)).isEmpty(), "primary1's redis-server is gone");

        demo("start", "primary1");
        rows = awaitStatus(r -> running(r, "primary1"), START_TIMEOUT);
        assertEquals("1", rows.get("primary1").keys(), "primary1 kept its data across the restart");
    }

    @Test
    @Order(4)
    void stopEndsEveryProcessOfTheDemo() throws Exception {
        // a node whose keymesh was killed leaves its redis-server behind; stop must end that one too
        awaitStatus(r -> running(r, "primary2"), START_TIMEOUT);
        long primary2 = Long.parseLong(status().get("primary2").pid());
        ProcessHandle.of(primary2).ifPresent(ProcessHandle::destroyForcibly);
        ProcessHandle.of(primary2).ifPresent(h -> h.onExit().join());
        assertEquals(1, processesMentioning(root.resolve("data/primary2/redis").toString()).size(),
                "primary2's redis-server outlives its killed keymesh");

        demo("stop");
        List<Long> left = demoProcesses();
        assertTrue(left.isEmpty(), "processes of the demo left behind: " + describe(left));
        Map<String, Row> rows = status();
        for (String node : NODES) {
            assertEquals("stopped", rows.get(node).state(), node);
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private String lastStatusText = "";

    private static boolean running(Map<String, Row> rows, String node) {
        return rows.get(node).state().equals("running");
    }

    private static boolean replicasFollow(Map<String, Row> rows, String upstream) {
        return rows.values().stream().filter(r -> r.node().startsWith("replica"))
                .allMatch(r -> r.upstream().equals(upstream) && r.link().equals("up"));
    }

    private Map<String, Row> awaitStatus(Predicate<Map<String, Row>> condition, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Map<String, Row> rows = status();
            if (condition.test(rows)) {
                return rows;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("status did not reach the expected state within " + timeout + ":\n"
                        + lastStatusText);
            }
            Thread.sleep(250);
        }
    }

    private Map<String, Row> status() throws Exception {
        String text = demo("status");
        lastStatusText = text;
        Map<String, Row> rows = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 9 && NODES.contains(f[0])) {
                rows.put(f[0], new Row(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]));
            }
        }
        assertEquals(NODES.size(), rows.size(), "one row per node:\n" + text);
        return rows;
    }

    private String demo(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(projectRoot.resolve("bin/keymesh").toString());
        cmd.add("demo");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("KEYMESH_DEMO_CONF", root.resolve("conf").toString());
        pb.environment().put("KEYMESH_DEMO_DATA", root.resolve("data").toString());
        pb.environment().put("KEYMESH_JAVA_OPTS", "-Xmx128m -XX:TieredStopAtLevel=1");
        return run(pb, "bin/keymesh demo " + String.join(" ", args));
    }

    private String redisCli(int port, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
        cmd.addAll(List.of(args));
        return run(new ProcessBuilder(cmd).redirectErrorStream(true), "redis-cli");
    }

    private static String run(ProcessBuilder pb, String what) throws Exception {
        Process p = pb.start();
        byte[] out;
        try {
            out = p.getInputStream().readAllBytes();
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                throw new AssertionError(what + " did not finish");
            }
        } finally {
            p.destroyForcibly();
        }
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), what + " failed:\n" + text);
        return text;
    }

    /** Every process whose command line names this test's directory: node JVMs and their redis-servers. */
    private List<Long> demoProcesses() {
        return processesMentioning(root.toString());
    }

    private static List<Long> processesMentioning(String text) {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmdline.contains(text)) {
                        pids.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException gone) {
                    // the process ended while we looked
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot list /proc", e);
        }
        pids.remove(ProcessHandle.current().pid());
        return pids;
    }

    private static String describe(List<Long> pids) {
        return pids.stream().map(pid -> pid + " " + ProcessHandle.of(pid).flatMap(h -> h.info().commandLine())
                .orElse("?")).collect(Collectors.joining("; "));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
