package io.keymesh.proxy.fuzz;

import io.keymesh.proxy.mesh.MeshFixture;
import io.keymesh.proxy.mesh.MeshNode;
import io.lettuce.core.api.StatefulRedisConnection;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The fuzzing run: one keymesh node in its own JVM (-Xmx256m) whose only peer is a {@link FakePeer};
 * client-port cases ({@link ClientPortFuzzer}), then peer cases, then replica cases
 * ({@link FakeReplica}), then snapshot cases ({@link SnapshotCases}, from the fake peer). After every batch the {@link NodeWatch} control checks the node's replies;
 * every {@code deepEvery} cases and at the end it checks threads, heap and log. A finding prints
 * the seed, the target, the case numbers and their bytes; the run goes on after a hang and stops
 * when the node is dead or answers wrong. {@link FuzzIT} runs it; bench/fuzz.sh runs that with
 * other counts and seeds, and replays a case ({@code --seed S --client 1 --peer 0 --replica 0 --snapshot 0 --from N}).
 */
public final class Fuzz {
    /** Heap used after a full GC that the node must stay under (its -Xmx is 256 MB). */
    static final long HEAP_USED_BOUND_KB = 160 * 1024;
    /** Threads above the baseline a node may have (a link's sender thread, a backend reconnect...). */
    static final int EXTRA_THREADS_MAX = 16;
    private static final int FINDINGS_MAX = 20;

    /** What to run. */
    public record Settings(long seed, long clientCases, long peerCases, long replicaCases, long snapshotCases, long from,
                           long deepEvery) {
    }

    /** What a run did and found. */
    public record Result(long cases, long millis, List<String> findings, long heapUsedMaxKb, int threadsBaseline,
                         int threadsMax, long clientConnections, long closedByNode, long peerSessions,
                         long replicaSessions, long flushesByPeer) {
        /** One paragraph for logs and docs. */
        public String summary(Settings s) {
            return String.format("fuzz seed %d: %d cases (client %d, peer %d, replica %d, snapshot %d) in %.1f s; %d findings; "
                            + "client connections %d (closed by the node %d); peer link sessions %d (flushes by peer frames %d); "
                            + "replica link sessions %d; "
                            + "node threads baseline %d, max %d; heap used after GC max %d KB",
                    s.seed(), cases, s.clientCases(), s.peerCases(), s.replicaCases(), s.snapshotCases(), millis / 1000.0,
                    findings.size(),
                    clientConnections, closedByNode, peerSessions, flushesByPeer, replicaSessions, threadsBaseline, threadsMax, heapUsedMaxKb);
        }
    }

    /** The fuzz node's shortest wait before its link to the fake peer connects again: a refused case costs no more. */
    static final String RECONNECT_MIN = "5ms";

    private Fuzz() {
    }

    /** Runs the cases against a fresh node; stops everything it started. */
    public static Result run(Settings s, PrintStream out) throws IOException, InterruptedException {
        long started = System.nanoTime();
        List<String> findings = new ArrayList<>();
        try (FakePeer peer = new FakePeer(s.seed(), MeshFixture.DATABASES, MeshFixture.SECRET);
             MeshFixture mesh = MeshFixture.builder().nodes(1).external(0, "-Xmx256m")
                     .setting(0, "keymesh.peers", List.of(peer.address()))
                     .setting(0, "keymesh.replication.link-reconnect-min", RECONNECT_MIN).start()) {
            MeshNode node = mesh.node(0);
            out.println("fuzz seed " + s.seed() + ": node " + node + " pid " + node.pid() + ", fake peer " + peer.address());
            try (NodeWatch watch = new NodeWatch(node, mesh.tempDir(), s.seed());
                 ClientPortFuzzer client = new ClientPortFuzzer(node.port(), s.seed());
                 StatefulRedisConnection<String, String> backend = node.connectBackend()) {
                out.println("fuzz: threads that must live as long as the node: " + watch.lastingThreads());
                Runner runner = new Runner(s, watch, findings, out);
                long t0 = System.nanoTime();
                boolean going = client.run(s.from(), s.clientCases(), runner.as(FuzzCase.Target.CLIENT));
                long t1 = System.nanoTime();
                out.printf("fuzz: client cases took %.1f s%n", (t1 - t0) / 1e9);
                going = going && peer.run(node.port(), s.from(), s.peerCases(), runner.as(FuzzCase.Target.PEER));
                out.printf("fuzz: peer cases took %.1f s%n", (System.nanoTime() - t1) / 1e9);
                long ts = System.nanoTime();
                if (going && s.snapshotCases() > 0) {
                    DumpCatalog catalog;
                    try (PlainRedis plain = new PlainRedis()) {
                        catalog = DumpCatalog.make(plain.client());
                    }
                    going = peer.runSnapshots(node.port(), s.from(), s.snapshotCases(), node.nodeId(), catalog, backend,
                            runner.as(FuzzCase.Target.SNAPSHOT));
                    out.printf("fuzz: snapshot cases took %.1f s%n", (System.nanoTime() - ts) / 1e9);
                }
                long t2 = System.nanoTime();
                if (going && s.replicaCases() > 0) {
                    try (FakeReplica replica = new FakeReplica(node.port(), s.seed(), MeshFixture.SECRET,
                            () -> positions(backend))) {
                        going = replica.run(s.from(), s.replicaCases(), runner.as(FuzzCase.Target.REPLICA));
                        runner.replicaSessions = replica.sessions();
                    }
                    out.printf("fuzz: replica cases took %.1f s%n", (System.nanoTime() - t2) / 1e9);
                }
                if (going) {
                    String deep = watch.deepCheck(HEAP_USED_BOUND_KB, EXTRA_THREADS_MAX);
                    if (deep != null) {
                        runner.report("after the last case: " + deep, List.of());
                    }
                }
                keepLogs(mesh.tempDir(), out);        // with findings or without: a clean run's log is read too
                return new Result(runner.cases, (System.nanoTime() - started) / 1_000_000, List.copyOf(findings),
                        watch.heapUsedMaxKb(), watch.baselineThreads(), watch.threadsMax(), client.connections(),
                        client.closedByNode(), peer.sessions(), runner.replicaSessions, watch.flushesByPeer());
            }
        }
    }

    /** Copies the node's logs and its redis-server's to target/fuzz-logs (the node's directory is deleted afterwards). */
    private static void keepLogs(java.nio.file.Path root, PrintStream out) throws IOException {
        java.nio.file.Path to = java.nio.file.Path.of("target", "fuzz-logs");
        java.nio.file.Files.createDirectories(to);
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(root)) {
            for (java.nio.file.Path f : files.filter(p -> p.getFileName().toString().matches("keymesh-\\d+\\.log|redis\\.log"))
                    .toList()) {
                java.nio.file.Path copy = to.resolve(f.getFileName());
                java.nio.file.Files.copy(f, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                out.println("fuzz: the node's log is kept in " + copy.toAbsolutePath());
            }
        }
    }

    /** The node's log positions per origin (km:pos in its log database). */
    private static Map<String, Long> positions(StatefulRedisConnection<String, String> backend) {
        backend.sync().select(2 * MeshFixture.DATABASES);
        Map<String, Long> out = new HashMap<>();
        backend.sync().hgetall("km:pos").forEach((origin, seq) -> out.put(origin, Long.parseLong(seq)));
        return out;
    }

    /** Counts cases, checks the node after each batch, reports findings. */
    private static final class Runner {
        private final Settings settings;
        private final NodeWatch watch;
        private final List<String> findings;
        private final PrintStream out;
        private long cases;
        private long nextDeep;
        private long replicaSessions;

        Runner(Settings settings, NodeWatch watch, List<String> findings, PrintStream out) {
            this.settings = settings;
            this.watch = watch;
            this.findings = findings;
            this.out = out;
            this.nextDeep = settings.deepEvery();
        }

        ClientPortFuzzer.Observer as(FuzzCase.Target target) {
            return (batch, failure) -> {
                cases += batch.size();
                dump(batch);
                if (failure != null) {
                    report(target + ": " + failure, batch);
                }
                String wrong = watch.check((target == FuzzCase.Target.PEER || target == FuzzCase.Target.SNAPSHOT)
                        && batch.stream().anyMatch(LinkCases::mayFlush));
                if (wrong != null) {
                    report(target + ": after these cases " + wrong, batch);
                    return false;
                }
                if (cases >= nextDeep) {
                    nextDeep += settings.deepEvery();
                    String deep = watch.deepCheck(HEAP_USED_BOUND_KB, EXTRA_THREADS_MAX);
                    if (deep != null) {
                        report(target + ": by case " + batch.get(batch.size() - 1).number() + " " + deep, batch);
                        return false;
                    }
                    out.printf("fuzz: %d cases, node threads %d, heap used after GC max %d KB%n", cases,
                            watch.threadsMax(), watch.heapUsedMaxKb());
                }
                return findings.size() < FINDINGS_MAX;
            };
        }

        /** With -Dkeymesh.fuzz.dump=DIR, each case's bytes go to DIR/<target>-<number>.bin (to replay them by hand). */
        private void dump(List<FuzzCase> batch) {
            String dir = System.getProperty("keymesh.fuzz.dump");
            if (dir == null) {
                return;
            }
            try {
                java.nio.file.Files.createDirectories(java.nio.file.Path.of(dir));
                for (FuzzCase c : batch) {
                    java.nio.file.Files.write(java.nio.file.Path.of(dir, c.target().name().toLowerCase() + "-" + c.number()
                            + ".bin"), c.bytes());
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        void report(String what, List<FuzzCase> batch) {
            StringBuilder sb = new StringBuilder("FINDING (seed " + settings.seed() + "): " + what);
            for (FuzzCase c : batch) {
                sb.append("\n    ").append(c.describe(400));
            }
            if (!batch.isEmpty()) {
                FuzzCase.Target t = batch.get(0).target();
                sb.append("\n    replay: bench/fuzz.sh --seed ").append(settings.seed())
                        .append(" --client ").append(t == FuzzCase.Target.CLIENT ? batch.size() : 0)
                        .append(" --peer ").append(t == FuzzCase.Target.PEER ? batch.size() : 0)
                        .append(" --replica ").append(t == FuzzCase.Target.REPLICA ? batch.size() : 0)
                        .append(" --snapshot ").append(t == FuzzCase.Target.SNAPSHOT ? batch.size() : 0)
                        .append(" --from ").append(batch.get(0).number());
            }
            findings.add(sb.toString());
            out.println(sb);
        }
    }
}
