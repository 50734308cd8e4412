package io.keymesh.topology.sim;

import io.keymesh.topology.link.LinkSettings;
import io.keymesh.topology.link.LinkSockets;
import io.keymesh.topology.link.LogSpan;
import io.keymesh.topology.link.LogStore;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.RespError;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * One seeded run of a mesh: 2 to 4 primaries and up to 2 replicas (3 to 5 nodes) on real
 * redis-servers, the link state machines ({@code PullMachine}, {@code SendMachine}) moving their logs
 * over a {@link SimNetwork} through {@link PullDriver} and {@link SendDriver}, clients writing through
 * the apply library, and faults: partitions (one way or both) and heals, crashes and restarts (of the
 * node alone or with its redis-server), clock skew steps, connection resets, frames delayed and
 * interleaved. Then the network calms, every node comes back, and the run checks that every node
 * holds the same content, that no acknowledged write is lost beyond what merge.md lets a later write
 * supersede, that every node holds each origin's log exactly once, and that no connection ever had
 * more than {@link #IN_FLIGHT_BYTES_MAX} in flight.
 *
 * <p>Everything random comes from {@code new SplittableRandom(seed)}, time is virtual, and every
 * backend call is made from the calling thread in event order, so one seed replays the same run; the
 * run's trace (every event in order) is hashed into {@link Result#trace}, which a replay reproduces.
 */
final class Simulation {
    /**
     * Whether one run in four also loses, duplicates and reorders frames within a connection, which
     * TCP never does ({@code -Dkeymesh.sim.datagram=true}; off by default, see docs/design/simulation.md).
     */
    static final boolean DATAGRAM_FAULTS = Boolean.getBoolean("keymesh.sim.datagram");
    /**
     * Whether faults also trim logs, so that links resync by snapshot ({@code -Dkeymesh.sim.snapshots=true};
     * off by default, see docs/design/simulation.md).
     */
    static final boolean SNAPSHOT_FAULTS = Boolean.getBoolean("keymesh.sim.snapshots");
    /** Virtual time between ticks of every link side. */
    static final long TICK_MILLIS = 10;
    /** Virtual time clients write and faults happen. */
    static final long WORKLOAD_MILLIS = 4000;
    /** Virtual time the mesh has, once calm, to converge. */
    static final long CONVERGE_MILLIS_MAX = 60_000;
    /** The memory bound checked on every connection: bytes sent toward the puller and not yet delivered. */
    static final long IN_FLIGHT_BYTES_MAX = 64 * 1024;
    /** Small batches, so that a run cuts many; heartbeats every 500 ms, links silent for 2 s close. */
    static final LinkSettings SETTINGS = new LinkSettings(8, 4096, 500, 2000, 50, 1000, 0, 1000, 0,
            LinkSockets.plain());

    /** What a run found: failures (empty when it passed), the hash of its trace, and a summary. */
    record Result(long seed, List<String> failures, String trace, String summary) {
        boolean passed() {
            return failures.isEmpty();
        }
    }

    private final long seed;
    private final SimServers servers;
    private final boolean verbose;
    private final boolean snapshotFaults;
    private final Scheduler scheduler = new Scheduler();
    private final SplittableRandom faultRandom;
    private final SplittableRandom linkRandom;
    private final SplittableRandom writeRandom;
    private final SimNetwork network;
    private final Workload workload;
    private final List<SimNode> nodes = new ArrayList<>();
    private final List<SimNode> primaries = new ArrayList<>();
    private final List<PullDriver> pullers = new ArrayList<>();
    private final List<SimConnection> connections = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final TreeMap<String, Integer> closes = new TreeMap<>();
    private final MessageDigest trace;
    private final SimNetwork.Faults faults;
    private boolean calm;
    private long connectionIds;
    private long inFlightMax;
    private int crashes;
    private int skews;
    private int partitions;
    private int relayed;
    private int trims;
    int snapshots;
    private String lastClose = "";

    /** A run of {@code seed} with the faults the system properties choose. */
    Simulation(long seed, SimServers servers, boolean verbose) {
        this(seed, servers, verbose, DATAGRAM_FAULTS, SNAPSHOT_FAULTS);
    }

    /** A run of {@code seed}, with or without datagram faults and log trims. */
    Simulation(long seed, SimServers servers, boolean verbose, boolean datagramFaults, boolean snapshotFaults) {
        this.seed = seed;
        this.servers = servers;
        this.verbose = verbose;
        this.snapshotFaults = snapshotFaults;
        SplittableRandom root = new SplittableRandom(seed);
        this.faultRandom = root.split();
        this.linkRandom = root.split();
        this.writeRandom = root.split();
        SplittableRandom netRandom = root.split();
        this.workload = new Workload(root.split());
        try {
            this.trace = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        int primaryCount = 2 + root.nextInt(3);
        int replicaCount = Math.min(servers.size() - primaryCount, root.nextInt(3));
        if (primaryCount + replicaCount < 3) {
            replicaCount = 3 - primaryCount;
        }
        int[] resets = {0, 2, 10, 30};
        boolean datagram = datagramFaults && root.nextInt(4) == 0;
        this.faults = new SimNetwork.Faults(resets[root.nextInt(resets.length)], 1 + root.nextInt(5), root.nextInt(40),
                datagram ? 5 + root.nextInt(20) : 0, datagram ? root.nextInt(40) : 0, datagram ? root.nextInt(100) : 0);
        this.network = new SimNetwork(scheduler, netRandom, primaryCount + replicaCount, faults, new SimNetwork.Receiver() {
            @Override
            public void deliver(SimConnection connection, boolean toPuller, Object frame) {
                Simulation.this.deliver(connection, toPuller, frame);
            }

            @Override
            public void reset(SimConnection connection, String reason) {
                close(connection, reason, null);
            }
        });
        for (int i = 0; i < primaryCount + replicaCount; i++) {
            SimNode n = new SimNode(i, i < primaryCount, scheduler, servers, SETTINGS);
            n.time.skewMillis(root.nextInt(1001) - 500);
            nodes.add(n);
            if (n.primary) {
                primaries.add(n);
            }
        }
    }

    /** Runs the seed to its end and checks it; never throws for what the run found. */
    Result run() {
        String shape = primaries.size() + " primaries, " + (nodes.size() - primaries.size()) + " replicas, faults " + faults;
        try {
            for (SimNode n : nodes) {
                servers.reset(n.index);
            }
            note("start " + shape);
            for (SimNode n : nodes) {
                startLinks(n);
            }
            scheduler.after(0, this::tick);
            scheduler.after(writeGap(), this::write);
            scheduler.after(faultGap(), this::fault);
            scheduler.runUntil(WORKLOAD_MILLIS);
            calm();
            long deadline = WORKLOAD_MILLIS + CONVERGE_MILLIS_MAX;
            while (!converged() && scheduler.nowMillis() < deadline) {
                scheduler.runUntil(scheduler.nowMillis() + 200);
            }
            check(deadline);
        } catch (IOException | RuntimeException e) {
            failures.add("the run stopped: " + e);
        }
        String summary = shape + "; " + workload.acknowledged() + " writes acknowledged, " + crashes + " crashes, "
                + partitions + " cuts, " + skews + " clock steps, " + trims + " log trims; " + network.stats() + "; "
                + relayed + " batches relayed, " + snapshots + " snapshots, closes " + closes + ", most bytes in flight "
                + inFlightMax + "; ended at " + scheduler.nowMillis() + " ms";
        return new Result(seed, List.copyOf(failures), HexFormat.of().formatHex(trace.digest()).substring(0, 16), summary);
    }

    private void note(String event) {
        String line = scheduler.nowMillis() + " " + event;
        trace.update(line.getBytes(StandardCharsets.UTF_8));
        trace.update((byte) '\n');
        if (verbose) {
            System.out.println(line);
        }
    }

    // ---- clients

    private long writeGap() {
        return 1 + writeRandom.nextInt(40);
    }

    private void write() {
        if (calm) {
            return;
        }
        SimNode n = primaries.get(writeRandom.nextInt(primaries.size()));
        List<List<String>> commands = workload.next();
        if (n.up()) {
            try {
                List<SimNode.Write> writes = n.write(commands);
                for (int i = 0; i < commands.size(); i++) {
                    SimNode.Write w = writes.get(i);
                    workload.answered(commands.get(i), w.stamp(), w.reply());
                    note(n + (commands.size() > 1 ? " multi " : " ") + commands.get(i) + " at " + w.stamp() + " -> "
                            + replyText(w.reply()));
                }
            } catch (IOException e) {
                throw new IllegalStateException("client write on " + n + " failed: " + e, e);
            }
        }
        scheduler.after(writeGap(), this::write);
    }

    private static String replyText(Object reply) {
        if (reply == null) {
            return "(nil)";
        } else if (reply instanceof List<?> l) {
            return l.stream().map(Simulation::replyText).toList().toString();
        }
        return reply instanceof RespError e ? "error " + e.message() : Frames.text(reply);
    }

    // ---- faults

    private long faultGap() {
        return 50 + faultRandom.nextInt(350);
    }

    private void fault() {
        if (calm) {
            return;
        }
        int a = faultRandom.nextInt(nodes.size());
        int b = faultRandom.nextInt(nodes.size());
        SimNode n = nodes.get(a);
        switch (faultRandom.nextInt(8)) {
            case 0, 1 -> {
                if (a != b) {
                    boolean oneWay = faultRandom.nextBoolean();
                    network.cut(a, b);
                    if (!oneWay) {
                        network.cut(b, a);
                    }
                    partitions++;
                    note("cut " + nodes.get(a) + (oneWay ? " -> " : " <-> ") + nodes.get(b));
                }
            }
            case 2 -> {
                network.heal(a, b);
                note("heal " + nodes.get(a) + " <-> " + nodes.get(b));
            }
            case 3 -> {
                network.healAll();
                note("heal all");
            }
            case 4 -> {
                if (n.up()) {
                    crash(n);
                    boolean withRedis = faultRandom.nextBoolean();
                    scheduler.after(100 + faultRandom.nextInt(1500), () -> restart(n, withRedis));
                }
            }
            case 5 -> {
                if (snapshotFaults) {
                    trim(n, primaries.get(b % primaries.size()));
                }
            }
            default -> {
                long skew = faultRandom.nextInt(4) == 0
                        ? (SimNode.CLOCK_OFFSET_MILLIS_MAX + faultRandom.nextInt(3000)) * (faultRandom.nextBoolean() ? 1 : -1)
                        : faultRandom.nextInt(1501) - 750;
                n.time.skewMillis(skew);
                skews++;
                note("clock of " + n + " now off by " + skew + " ms");
            }
        }
        scheduler.after(faultGap(), this::fault);
    }

    /**
     * {@code n} drops {@code origin}'s log up to a random entry it holds (as retention does, whoever
     * still needs it): a puller behind that entry gets a snapshot, a relay of it stops.
     */
    private void trim(SimNode n, SimNode origin) {
        if (!n.up()) {
            return;
        }
        try {
            LogStore store = new LogStore(n.backend(), n.databases());
            long head = store.position(origin.nodeId());
            if (head == 0) {
                return;
            }
            long seq = 1 + faultRandom.nextInt((int) head);
            store.trim(origin.nodeId(), seq);
            trims++;
            note("trim " + n + "'s log of " + origin + " to after " + seq);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void crash(SimNode n) {
        crashes++;
        note("crash " + n);
        n.crash();
        for (PullDriver p : pullers) {
            if (p.node == n) {
                p.alive = false;
            }
        }
        pullers.removeIf(p -> !p.alive);
        for (SimConnection c : List.copyOf(connections)) {
            if (c.puller == n || c.sender == n) {
                close(c, "node " + n + " crashed", null);
            }
        }
    }

    private void restart(SimNode n, boolean withRedis) {
        if (n.up()) {
            return;
        }
        note("restart " + n + (withRedis ? " and its redis-server" : ""));
        try {
            n.restart(withRedis);
        } catch (IOException e) {
            throw new IllegalStateException("restart of " + n + " failed: " + e, e);
        }
        startLinks(n);
    }

    /** The end of the storm: every cut healed, every node back, clocks within 200 ms, no frame lost, doubled or overtaken. */
    private void calm() {
        calm = true;
        network.healAll();
        network.faults(faults.calm());
        for (SimNode n : nodes) {
            n.time.skewMillis(faultRandom.nextInt(401) - 200);
            restart(n, faultRandom.nextBoolean());
        }
        note("calm");
    }

    // ---- links (the services PullDriver and SendDriver use)

    long nowNanos() {
        return scheduler.nowMillis() * 1_000_000L;
    }

    /** Runs {@code event} when virtual time reaches {@code atNanos} (rounded up to the millisecond; at once when past). */
    void at(long atNanos, Runnable event) {
        scheduler.after(Math.max(0, (atNanos - nowNanos() + 999_999) / 1_000_000), event);
    }

    /** The primaries' ids: origins every node expects, with a log or not. */
    List<String> origins() {
        return primaries.stream().map(SimNode::nodeId).toList();
    }

    void failure(String problem) {
        note("FAILURE " + problem);
        failures.add(problem + " at " + scheduler.nowMillis() + " ms");
    }

    void send(SimConnection c, boolean fromPuller, Object frame) {
        if (c != null && c.open) {
            network.send(c, fromPuller, frame);
        }
    }

    /** A node (re)starts: one puller per other primary for a primary, one for a replica. */
    private void startLinks(SimNode n) {
        List<PullDriver> started = new ArrayList<>();
        if (n.primary) {
            for (SimNode q : primaries) {
                if (q != n) {
                    started.add(new PullDriver(this, n, q));
                }
            }
        } else {
            started.add(new PullDriver(this, n, null));
        }
        pullers.addAll(started);
        for (PullDriver p : started) {
            p.start();
        }
    }

    private void tick() {
        for (SimConnection c : List.copyOf(connections)) {
            if (c.open && c.sending != null) {
                c.sending.tick();
            }
            long bytes = c.direction(true).bytesMax;
            inFlightMax = Math.max(inFlightMax, bytes);
            if (bytes > IN_FLIGHT_BYTES_MAX) {
                failure(c + " had " + bytes + " bytes in flight, more than " + IN_FLIGHT_BYTES_MAX);
                close(c, "memory bound", null);
            }
        }
        connections.removeIf(c -> !c.open);
        scheduler.after(TICK_MILLIS, this::tick);
    }

    /** A puller's {@code Connect}: a connection to its upstream after a network delay, or a refusal after a connect timeout. */
    void connect(PullDriver p) {
        SimNode upstream = p.upstream;
        if (upstream == null) {
            // a replica's health checks: the first primary (in its own order) it can reach
            for (int i = 0; i < primaries.size() && upstream == null; i++) {
                SimNode q = primaries.get((p.node.index + i) % primaries.size());
                if (q.up() && network.connectable(p.node.index, q.index)) {
                    upstream = q;
                }
            }
        }
        if (upstream == null || !upstream.up() || !network.connectable(p.node.index, upstream.index)) {
            String why = upstream == null ? "no primary reachable" : "cannot reach " + upstream;
            scheduler.after(SETTINGS.connectTimeoutMillis() / 4, () -> {
                if (p.alive) {
                    p.perform(p.machine.onClosed(why, nowNanos()));
                }
            });
            return;
        }
        SimConnection c = new SimConnection(++connectionIds, p.node, upstream, p);
        p.connection = c;
        connections.add(c);
        note("open " + c);
        scheduler.after(roundTrip(), () -> {
            if (c.open && p.alive) {
                p.perform(p.machine.onConnected(nowNanos()));
            }
        });
    }

    /** A puller's {@code Handshake}: HELLO and its reply after a round trip; the upstream's stamp is observed (and may be refused). */
    void handshake(PullDriver p) {
        SimConnection c = p.connection;
        scheduler.after(roundTrip(), () -> {
            if (c == null || !c.open || !p.alive) {
                return;
            }
            if (!network.connectable(c.puller.index, c.sender.index)) {
                return;     // the HELLO waits like any frame; the machine's timeout decides
            }
            try {
                c.puller.clock().observe(c.sender.clock().now());
            } catch (io.keymesh.topology.clock.ClockSkewException e) {
                String reason = "refused: " + e.getMessage();
                close(c, reason, p);
                p.perform(p.machine.onClosed(reason, nowNanos()));
                return;
            }
            try {
                p.perform(p.machine.onHandshake(c.sender.nodeId(), PullDriver.positions(p.node), nowNanos()));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private long roundTrip() {
        return 2L * (faults.delayMinMillis() + linkRandom.nextInt(faults.delayJitterMillis() + 1));
    }

    private void deliver(SimConnection c, boolean toPuller, Object frame) {
        if (!c.open) {
            return;
        }
        note("deliver " + c.id + (toPuller ? " to puller " : " to sender ") + SimNetwork.describe(frame));
        if (toPuller) {
            if (frame instanceof io.keymesh.topology.wire.LinkFrame.Batch b && c.puller.primary
                    && !b.origin().equals(c.sender.nodeId())) {
                relayed++;
            }
            if (c.sending != null) {
                c.sending.delivered();
            }
            if (c.open && c.pulling.alive) {
                c.pulling.onFrame(frame);
            }
        } else if (c.sending == null) {
            if (!(frame instanceof PullRequest request)) {
                failure(c + ": the first frame from the puller is " + SimNetwork.describe(frame) + ", not a PULL");
                close(c, "no PULL", null);
                return;
            }
            c.sending = new SendDriver(this, c, request);
            c.sending.start();
        } else {
            c.sending.onFrame(frame);
        }
    }

    /**
     * Closes {@code c} for {@code reason}: the end that asked ({@code by}, null for the network or a
     * crash) has moved on already; the other end hears it as closed.
     */
    void close(SimConnection c, String reason, Object by) {
        if (c == null || !c.open) {
            return;
        }
        c.close();
        reason = reason.replaceAll("\\[B@[0-9a-f]+", "[B");     // frames in a reason: no identity hashes in the trace
        String kind = reason.replaceAll("[0-9a-f]{8,}|[0-9]+", "#");
        closes.merge(kind, 1, Integer::sum);
        lastClose = c + ": " + reason;
        note("close " + c + ": " + reason);
        if (c.pulling.connection == c) {
            c.pulling.connection = null;
            if (by != c.pulling && c.pulling.alive) {
                c.pulling.onClosed(reason);
            }
        }
        if (c.sending != null) {
            if (by != c.sending) {
                c.sending.onClosed();
            }
            c.sending.alive = false;
        }
    }

    // ---- checks

    /** Every node up and, for every primary's log, at the head that primary holds. */
    private boolean converged() throws IOException {
        for (SimNode n : nodes) {
            if (!n.up()) {
                return false;
            }
        }
        for (SimNode origin : primaries) {
            long head = position(origin, origin.nodeId());
            for (SimNode n : nodes) {
                if (position(n, origin.nodeId()) != head) {
                    return false;
                }
            }
        }
        return true;
    }

    private static long position(SimNode n, String origin) throws IOException {
        Object v = n.backend().ok(List.of("HGET", "km:pos", origin));
        return v == null ? 0 : Long.parseLong(Frames.text(v));
    }

    private void check(long deadline) throws IOException {
        if (!converged()) {
            StringBuilder where = new StringBuilder();
            for (SimNode n : nodes) {
                where.append(' ').append(n).append(n.up() ? "" : "(down)").append('{');
                for (SimNode o : primaries) {
                    where.append(o).append('=').append(position(n, o.nodeId())).append(' ');
                }
                where.append('}');
            }
            failures.add("no convergence " + (deadline - WORKLOAD_MILLIS) + " ms after the network calmed; positions"
                    + where + "; last close " + lastClose);
            return;
        }
        String first = NodeDigest.read(nodes.get(0).data(), SimServers.DATABASES);
        for (SimNode n : nodes.subList(1, nodes.size())) {
            String d = NodeDigest.read(n.data(), SimServers.DATABASES);
            if (!d.equals(first)) {
                String key = NodeDigest.firstDifferentKey(first, d);
                failures.add("content of " + n + " differs from " + nodes.get(0) + ": " + NodeDigest.firstDifference(first, d)
                        + "; km_dumpkey of " + key + ": " + NodeDigest.dump(nodes.get(0).data(), key) + " on " + nodes.get(0)
                        + ", " + NodeDigest.dump(n.data(), key) + " on " + n);
            }
        }
        for (String lost : workload.lost(nodes.get(0).data())) {
            failures.add("lost: " + lost);
        }
        for (SimNode n : nodes) {
            LogStore store = new LogStore(n.backend(), n.databases());
            for (SimNode o : primaries) {
                long length = store.length(o.nodeId());
                LogSpan span = store.span(o.nodeId());
                long held = span.first() < 0 ? 0 : span.head() - span.first() + 1;
                if (length > held) {
                    failures.add(n + " holds " + length + " entries of " + o + "'s log from " + span.first() + " to "
                            + span.head() + ": some twice");
                }
            }
        }
        if (workload.acknowledged() == 0) {
            failures.add("no write was acknowledged: the run tested nothing");
        }
        note("checked");
    }
}
