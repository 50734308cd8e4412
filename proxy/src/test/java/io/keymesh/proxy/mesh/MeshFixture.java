package io.keymesh.proxy.mesh;

import io.keymesh.proxy.testsupport.Teardown;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A mesh of N keymesh primaries, optionally followed by read replicas, for integration tests. Each
 * node has its own data directory and managed redis-server under one temporary directory and an
 * ephemeral client port; node i reaches node j (a peer primary, or for a replica each of its
 * upstreams) through its own {@link CuttableRelay} (i -> j), so a test can cut, heal and throttle
 * each link in each direction, and a restarted node keeps its address for its peers and replicas.
 * Per node a test can set any config key, a skewed clock or a different cluster secret.
 * {@link #close()} stops every node, relay, client and process it started.
 */
public final class MeshFixture implements AutoCloseable {
    /** User databases per node (keymesh.storage.redis.databases); small so that digests are quick. */
    public static final int DATABASES = 4;
    /** The shared secret of every test mesh. */
    public static final String SECRET = "mesh-test-secret";
    /** Replicas' health-check interval (keymesh.health-check.inter) unless a test sets another. */
    public static final long HEALTH_INTER_MILLIS = 200;
    /** Failed checks before a replica's upstream is down (keymesh.health-check.fall) unless a test sets another. */
    public static final int HEALTH_FALL = 3;

    private final Path root;
    private final ClientResources resources;
    private final List<MeshNode> nodes = new ArrayList<>();
    private final int primaries;
    private final CuttableRelay[][] relays;
    private final List<Process> processes = new ArrayList<>();

    /** How to build a mesh: node count, extra settings, which nodes run as their own JVM. */
    public static final class Builder {
        private int size = 2;
        private int replicas;
        private final Map<String, Object> settings = new HashMap<>();
        private final Map<Integer, Long> clockSkewMillis = new HashMap<>();
        private final Map<Integer, Map<String, Object>> nodeSettings = new HashMap<>();
        private final Map<Integer, List<String>> external = new HashMap<>();
        private final Set<Integer> notStarted = new HashSet<>();

        public Builder nodes(int count) {
            this.size = count;
            return this;
        }

        /**
         * Adds {@code count} replicas after the primaries (node indexes nodes() ... nodes()+count-1):
         * each follows every primary in order (keymesh.upstreams), readonly, health checks every
         * {@link #HEALTH_INTER_MILLIS} with timeout 200 ms, fall {@link #HEALTH_FALL}, rise 2.
         */
        public Builder replicas(int count) {
            this.replicas = count;
            return this;
        }

        /** Node {@code index} runs with its wall clock {@code skewMillis} ahead (negative: behind); in-JVM nodes only. */
        public Builder clockSkew(int index, long skewMillis) {
            clockSkewMillis.put(index, skewMillis);
            return this;
        }

        /** Node {@code index} uses {@code secret} as its keymesh.cluster-secret instead of {@link #SECRET}. */
        public Builder clusterSecret(int index, String secret) {
            return setting(index, "keymesh.cluster-secret", secret);
        }

        /** A config key for every node (HOCON values: "10s", "1mb", lists ...). */
        public Builder setting(String key, Object value) {
            settings.put(key, value);
            return this;
        }

        /** A config key for node {@code index} only. */
        public Builder setting(int index, String key, Object value) {
            nodeSettings.computeIfAbsent(index, i -> new HashMap<>()).put(key, value);
            return this;
        }

        /** Runs node {@code index} as a separate JVM with these JVM options (e.g. "-Xmx128m"). */
        public Builder external(int index, String... jvmOptions) {
            external.put(index, List.of(jvmOptions));
            return this;
        }

        /** Leaves node {@code index} stopped at start (start it with {@link MeshFixture#start}). */
        public Builder stopped(int index) {
            notStarted.add(index);
            return this;
        }

        public MeshFixture start() {
            MeshFixture fixture;
            try {
                fixture = new MeshFixture(this);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try {
                for (int i = 0; i < size + replicas; i++) {
                    if (!notStarted.contains(i)) {
                        fixture.start(fixture.node(i));
                    }
                }
                return fixture;
            } catch (RuntimeException | Error e) {
                fixture.close();
                throw e;
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts {@code count} nodes with the test defaults. */
    public static MeshFixture start(int count) {
        return builder().nodes(count).start();
    }

    private MeshFixture(Builder b) throws IOException {
        this.root = Files.createTempDirectory("keymesh-mesh-");
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
        this.primaries = b.size;
        int total = b.size + b.replicas;
        this.relays = new CuttableRelay[total][total];
        try {
            for (int i = 0; i < total; i++) {
                for (int j = 0; j < b.size; j++) {
                    if (i != j) {
                        relays[i][j] = new CuttableRelay(name(i) + "-to-" + name(j));
                    }
                }
            }
            for (int i = 0; i < total; i++) {
                List<String> upstreams = new ArrayList<>();
                for (int j = 0; j < b.size; j++) {
                    if (i != j) {
                        upstreams.add(relays[i][j].address());
                    }
                }
                Map<String, Object> s = new HashMap<>();
                s.put("keymesh.port", 0);
                s.put("keymesh.bind", "127.0.0.1");
                s.put("keymesh.io-threads", 1);
                s.put("keymesh.data-dir", root.resolve(name(i)).toString());
                s.put("keymesh.cluster-secret", SECRET);
                s.put("keymesh.storage.redis.databases", DATABASES);
                if (i < b.size) {
                    s.put("keymesh.role", "primary");
                    s.put("keymesh.peers", upstreams);
                    if (b.replicas > 0) {
                        s.put("keymesh.replication.enabled", true);
                    }
                } else {
                    s.put("keymesh.role", "replica");
                    s.put("keymesh.upstreams", upstreams);
                    s.put("keymesh.replica.write-policy", "readonly");
                    s.put("keymesh.replica.forward-wait-timeout", "5s");
                    s.put("keymesh.health-check.inter", HEALTH_INTER_MILLIS + "ms");
                    s.put("keymesh.health-check.timeout", "200ms");
                    s.put("keymesh.health-check.fall", HEALTH_FALL);
                    s.put("keymesh.health-check.rise", 2);
                }
                s.putAll(b.settings);
                s.putAll(b.nodeSettings.getOrDefault(i, Map.of()));
                nodes.add(new MeshNode(name(i), root.resolve(name(i)), s, resources, b.external.get(i),
                        b.clockSkewMillis.getOrDefault(i, 0L)));
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Primaries are A, B, C ...; replicas R0, R1 ... */
    private String name(int i) {
        return i < primaries ? String.valueOf((char) ('A' + i)) : "R" + (i - primaries);
    }

    public MeshNode node(int index) {
        return nodes.get(index);
    }

    /** Every node: the primaries, then the replicas. */
    public List<MeshNode> nodes() {
        return List.copyOf(nodes);
    }

    /** The primaries, A first. */
    public List<MeshNode> primaries() {
        return List.copyOf(nodes.subList(0, primaries));
    }

    /** Replica {@code index} (0-based among the replicas). */
    public MeshNode replica(int index) {
        return nodes.get(primaries + index);
    }

    /** The replicas, R0 first. */
    public List<MeshNode> replicas() {
        return List.copyOf(nodes.subList(primaries, nodes.size()));
    }

    /** The nodes that are running now. */
    public List<MeshNode> runningNodes() {
        return nodes.stream().filter(MeshNode::isRunning).toList();
    }

    /** The relay node {@code from} uses to reach node {@code to} (a primary); null where there is no such link. */
    public CuttableRelay relay(MeshNode from, MeshNode to) {
        return relays[nodes.indexOf(from)][nodes.indexOf(to)];
    }

    // ---- lifecycle -------------------------------------------------------------------------------

    /** Starts a stopped node on its data directory and points its peers' relays at its new port. */
    public void start(MeshNode node) {
        node.start();
        int j = nodes.indexOf(node);
        for (int i = 0; i < nodes.size(); i++) {
            if (relays[i][j] != null) {
                relays[i][j].target(node.linkPort());
            }
        }
    }

    /** Stops a node cleanly (keymesh and its redis-server). */
    public void stop(MeshNode node) {
        int j = nodes.indexOf(node);
        for (int i = 0; i < nodes.size(); i++) {
            if (relays[i][j] != null) {
                relays[i][j].target(0);
            }
        }
        node.stop();
    }

    /** Stops and starts a node on the same data directory. */
    public void restart(MeshNode node) {
        stop(node);
        start(node);
    }

    /** kill -9 of an external node's keymesh JVM (its redis-server keeps running). */
    public void kill9(MeshNode node) {
        int j = nodes.indexOf(node);
        for (int i = 0; i < nodes.size(); i++) {
            if (relays[i][j] != null) {
                relays[i][j].target(0);
            }
        }
        node.kill9();
    }

    // ---- partitions ------------------------------------------------------------------------------

    /** Cuts the links between {@code a} and {@code b} in both directions. */
    public void cut(MeshNode a, MeshNode b) {
        forBoth(a, b, CuttableRelay::cut);
    }

    private void forBoth(MeshNode a, MeshNode b, java.util.function.Consumer<CuttableRelay> action) {
        for (CuttableRelay r : new CuttableRelay[] {relay(a, b), relay(b, a)}) {
            if (r != null) {
                action.accept(r);
            }
        }
    }

    /** Heals the links between {@code a} and {@code b}. */
    public void heal(MeshNode a, MeshNode b) {
        forBoth(a, b, CuttableRelay::heal);
    }

    /** Cuts every link of {@code node}. */
    public void isolate(MeshNode node) {
        for (MeshNode other : nodes) {
            if (other != node) {
                cut(node, other);
            }
        }
    }

    /** Heals every link. */
    public void healAll() {
        for (CuttableRelay[] row : relays) {
            for (CuttableRelay r : row) {
                if (r != null) {
                    r.heal();
                }
            }
        }
    }

    // ---- checks ----------------------------------------------------------------------------------

    /** Waits until every running node (replicas included) shows the same content digest; returns it. */
    public ContentDigest awaitConverged(Duration timeout) {
        return Await.converged(timeout, runningNodes());
    }

    /** Runs a command (redis-benchmark, redis-cli ...) to completion within {@code timeout}; returns its output. */
    public String run(Duration timeout, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(root, "run", ".out");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        synchronized (processes) {
            processes.add(p);
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
            }
            String output = Files.readString(out);
            if (p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + p.exitValue() + ": " + output);
            }
            return output;
        } finally {
            Teardown.stopProcess(p);
        }
    }

    /** Whether the log of any run of an external node so far contains {@code text} (e.g. "OutOfMemoryError"). */
    public boolean externalLogsMention(String text) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(f -> f.getFileName().toString().startsWith("keymesh-")
                    && f.getFileName().toString().endsWith(".log")).toList()) {
                if (Files.readString(p).contains(text)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A directory for a test's own files, deleted by {@link #close()}. */
    public Path tempDir() {
        return root;
    }

    @Override
    public void close() {
        Teardown.Steps steps = new Teardown.Steps();
        synchronized (processes) {
            processes.forEach(Teardown::stopProcess);
        }
        for (MeshNode n : nodes) {
            steps.run(n::closeClients);
        }
        for (CuttableRelay[] row : relays) {
            for (CuttableRelay r : row) {
                if (r != null) {
                    r.close();
                }
            }
        }
        for (MeshNode n : nodes) {
            steps.run(n::stop);
        }
        steps.finish(resources, root, "closing the mesh fixture");
    }
}
