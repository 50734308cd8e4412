package io.keymesh.topology.link;

import io.keymesh.topology.clock.ClockSkewException;
import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.HybridClock;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.FrameStamps;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.Hello;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.wire.RespError;
import io.keymesh.topology.wire.RespParser;
import io.keymesh.topology.wire.RespStreamReader;
import io.keymesh.topology.wire.RespWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The pulling side of a link on its own thread, for a primary's peer and a replica's upstream
 * alike: drives a {@link PullMachine} over a socket to the address {@code target} names (null
 * while there is none) and this node's backend. It performs the machine's actions (connect, the
 * handshake in {@link #handshake}, apply with the library's remote apply, snapshot merges, acks) and feeds
 * their outcomes back; every stamp it receives is observed in the node's clock first (a peer too
 * far ahead is refused).
 */
public final class PullLink implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PullLink.class);

    /** Who this node is, as told to the upstream. */
    public record Self(String nodeId, String role, String advertise, String clusterSecret, int databases) {
    }

    private final String name;
    private final Supplier<String> target;
    private volatile Self self;
    private final String pullRole;
    private final HybridClock clock;
    private final TimeSource time;
    private final BackendAccess backend;
    private final LinkSettings settings;
    private final PullObserver status;
    private final PullMachine machine;
    private final Thread thread;
    private final Object wakeup = new Object();
    private final Deque<LinkAction> todo = new ArrayDeque<>();
    private volatile boolean closed;
    private volatile boolean retarget;
    private volatile Socket socket;
    private volatile Consumer<LinkFrame.Publish> onPublish = p -> { };
    private volatile Consumer<String> onSecretRefusal = why -> { };
    private volatile Runnable onApplied = () -> { };
    private BackendClient conn;
    private OutputStream out;
    private RespStreamReader in;
    private FrameInput frames;
    private String connectedTo = "";
    private long timerAtNanos = Long.MAX_VALUE;

    PullLink(String name, Supplier<String> target, Self self, String pullRole, HybridClock clock, TimeSource time,
             BackendAccess backend, LinkSettings settings, PullObserver status) {
        this.name = name;
        this.target = target;
        this.self = self;
        this.pullRole = pullRole;
        this.clock = clock;
        this.time = time;
        this.backend = backend;
        this.settings = settings;
        this.status = status;
        this.machine = new PullMachine(self.nodeId(), pullRole, settings);
        this.thread = new Thread(this::loop, "keymesh-pull-" + name);
        this.thread.setDaemon(true);
    }

    /** A primary's link pulling from the peer at {@code address} ("host:port"), shown by {@code status}. */
    public static PullLink toPeer(String address, Self self, HybridClock clock, TimeSource time, BackendAccess backend,
                                  LinkSettings settings, PullStatus status) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("peer address must be host:port, got " + address);
        }
        Integer.parseInt(address.substring(colon + 1));
        return new PullLink("link from " + address, () -> address, self, "peer", clock, time, backend, settings,
                PullObserver.of(status));
    }

    /** A replica's link pulling from whichever upstream {@code current} names, shown by {@code status}. */
    public static PullLink toUpstream(Supplier<String> current, Self self, HybridClock clock, TimeSource time,
                                      BackendAccess backend, LinkSettings settings, ReplicaStatus status) {
        return new PullLink("replica link", current, self, "replica", clock, time, backend, settings,
                PullObserver.of(status));
    }

    /** Called with every publish the upstream relays, after its delivery to local subscribers (set before start). */
    public void onPublish(Consumer<LinkFrame.Publish> listener) {
        this.onPublish = listener;
    }

    /** Called with the reason each time this link refuses an upstream that cannot prove the cluster secret (set before start). */
    public void onSecretRefusal(Consumer<String> listener) {
        this.onSecretRefusal = listener;
    }

    /** Called after every apply (set before start). */
    public void onApplied(Runnable listener) {
        this.onApplied = listener;
    }

    /** Sets the address told to upstreams ("host:port"), once the client port is bound. */
    public void advertise(String address) {
        Self s = self;
        self = new Self(s.nodeId(), s.role(), address, s.clusterSecret(), s.databases());
    }

    public void start() {
        thread.start();
    }

    /** Drops the connection so the next one goes to whatever {@code target} names now. */
    public void reconnect() {
        retarget = true;
        closeSocket();
        synchronized (wakeup) {
            wakeup.notifyAll();
        }
    }

    private void loop() {
        todo.addAll(machine.start(time.monotonicNanos()));
        while (!closed) {
            if (retarget) {
                retarget = false;
                todo.clear();
                todo.addAll(machine.onUpstreamChanged(time.monotonicNanos()));
            }
            LinkAction action = todo.poll();
            try {
                if (action == null) {
                    next();
                } else {
                    perform(action);
                }
            } catch (ClockSkewException e) {
                String why = "peer clock ahead by " + e.aheadMillis() + " ms (max-clock-offset "
                        + clock.clockOffsetMillisMax() + " ms)";
                fail(why, true, true);
            } catch (SecretRefusedException e) {
                onSecretRefusal.accept(e.getMessage());
                fail(e.getMessage(), true, false);
            } catch (PeerRefusedException e) {
                fail(e.getMessage(), true, e.getMessage().contains("clock ahead"));
            } catch (IOException | RuntimeException e) {
                fail(e.getMessage() == null ? e.toString() : e.getMessage(), false, false);
            }
        }
        disconnect();
        status.closed();
    }

    /** Nothing to do: wait for a frame while connected, else for the machine's timer. */
    private void next() throws IOException, ClockSkewException {
        if (in != null && machine.state() != PullMachine.State.BACKOFF) {
            long before = in.bytesRead();
            LinkFrame frame = frames.next();
            status.heard(time.wallMillis(), in.bytesRead() - before);
            observe(frame);
            todo.addAll(machine.onFrame(frame, time.monotonicNanos()));
            return;
        }
        long wait = (timerAtNanos - time.monotonicNanos()) / 1_000_000L;
        if (wait > 0) {
            synchronized (wakeup) {
                try {
                    wakeup.wait(Math.min(wait, 100));
                } catch (InterruptedException e) {
                    closed = true;
                }
            }
            if (timerAtNanos - time.monotonicNanos() > 0) {
                return;
            }
        }
        timerAtNanos = Long.MAX_VALUE;
        todo.addAll(machine.onTimer(time.monotonicNanos()));
    }

    private void perform(LinkAction action) throws IOException, ClockSkewException, PeerRefusedException {
        long now = time.monotonicNanos();
        String n = Integer.toString(self.databases());
        if (action instanceof LinkAction.Timer t) {
            timerAtNanos = Math.min(timerAtNanos, t.atNanos());
        } else if (action instanceof LinkAction.Connect c) {
            timerAtNanos = Long.MAX_VALUE;
            connect();
            todo.addAll(machine.onConnected(time.monotonicNanos()));
        } else if (action instanceof LinkAction.Handshake h) {
            String upstream = handshake();
            todo.addAll(machine.onHandshake(upstream, store().positions(), time.monotonicNanos()));
        } else if (action instanceof LinkAction.Pull p) {
            pull(p);
        } else if (action instanceof LinkAction.Send s) {
            BlockingResp.send(out, Frames.toArgs(s.frame()));
        } else if (action instanceof LinkAction.Close c) {
            disconnect();
            status.down(c.reason());
            log.info("{} closed: {}", name, c.reason());
        } else if (action instanceof LinkAction.Apply a) {
            long lastMillis = observeAll(a.batch().entries());
            status.waiting().applying();
            long started = time.monotonicNanos();
            long applied = BatchApply.apply(conn, n, a.batch(), time);
            frames.applied(time.monotonicNanos() - started);
            status.waiting().applied(a.batch().entries().size());
            status.applied(a.batch().origin(), applied, a.batch().entries().size(), lastMillis);
            onApplied.run();
            todo.addAll(machine.onApplied(a.batch().origin(), applied, time.monotonicNanos()));
        } else if (action instanceof LinkAction.ApplySnapshot s) {
            if (s.frame() instanceof LinkFrame.SnapshotFlush flush) {
                SnapshotApply.flush(conn, n, flush, time);
            } else if (s.frame() instanceof LinkFrame.SnapshotLibrary library) {
                SnapshotApply.library(conn, n, library);
            } else if (s.frame() instanceof LinkFrame.SnapshotKey key) {
                SnapshotApply.key(conn, n, key);
                status.snapshotKey(key);
                if (status.snapshot().logDue(now)) {
                    log.info("{} ({}): snapshot {}", name, machine.upstreamId(), status.snapshot().describe(now));
                }
            }
            todo.addAll(machine.onSnapshotApplied(time.monotonicNanos()));
        } else if (action instanceof LinkAction.RaisePosition r) {
            long applied = store().raisePosition(r.origin(), r.seq());
            if (status.snapshot().running()) {
                log.info("{} ({}): snapshot merged ({}), position of {} {}", name, machine.upstreamId(),
                        status.snapshot().describe(now), r.origin(), applied);
            }
            status.snapshotEnded(r.origin(), applied, now);
            onApplied.run();
            todo.addAll(machine.onApplied(r.origin(), applied, time.monotonicNanos()));
        } else if (action instanceof LinkAction.Deliver d) {
            LinkFrame.Publish pub = d.publish();
            conn.ok(List.of(pub.sharded() ? "SPUBLISH" : "PUBLISH", pub.channel(), pub.message()));
            status.published();
            onPublish.accept(pub);
        } else if (action instanceof LinkAction.ReadPositions r) {
            Map<String, Long> positions = store().positions();
            status.positions(positions);
            onApplied.run();
            todo.addAll(machine.onPositions(positions, time.monotonicNanos()));
        } else {
            throw new IllegalStateException("not a puller's action: " + action);
        }
    }

    private void connect() throws IOException {
        disconnect();
        String address = target.get();
        if (address == null) {
            throw new IOException("no upstream selected");
        }
        connectedTo = address;
        status.connecting(address);
        BusyWait busy = new BusyWait(name).reportTo(status.waiting()::busy).whileWaiting(() -> !closed).measuredBy(time);
        conn = backend.open(2 * self.databases(), busy);
        int colon = address.lastIndexOf(':');
        Socket s = settings.sockets().create();
        socket = s;             // closing the TCP socket also stops a TLS session over it, without blocking
        if (closed) {
            throw new IOException("closed");
        }
        s = settings.sockets().connect(s, address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)),
                settings.connectTimeoutMillis());
        s.setSoTimeout((int) settings.linkTimeoutMillis());
        out = s.getOutputStream();
        in = new RespStreamReader(s.getInputStream(), RespParser.standard());
        frames = new FrameInput(in, settings.batchEntriesMax(), settings.batchBytesMax(),
                FrameInput.JOIN_BATCHES_MAX * (long) settings.batchBytesMax());
    }

    /**
     * The handshake, in one place: {@link LinkHandshake} (HELLO with this node's id, role, address
     * and stamp, both sides' proofs of the cluster secret), then the reply's checks (not this node's
     * own id, same database count) and the upstream's stamp observed. Returns the upstream's node id.
     */
    private String handshake() throws IOException, ClockSkewException, PeerRefusedException {
        status.handshaking();
        Self me = self;
        String stamp = Stamp.of(clock.now(), me.nodeId());
        String who = (pullRole.equals("replica") ? "upstream " : "peer ") + connectedTo;
        Hello.Reply reply = LinkHandshake.greet(out, in, me, pullRole.equals("replica") ? "replica" : me.role(), stamp, who);
        if (reply.nodeId().equals(me.nodeId())) {
            throw new PeerRefusedException("peer " + connectedTo + " has this node's own id " + me.nodeId()
                    + " (is the node listed as its own peer?)");
        }
        if (reply.databases() != me.databases()) {
            throw new PeerRefusedException("upstream has " + reply.databases() + " databases, this node "
                    + me.databases() + "; keymesh.storage.redis.databases must match");
        }
        clock.observe(Stamp.hlc(reply.stamp()));
        status.upstream(reply.nodeId());
        return reply.nodeId();
    }

    /** Sends PULL and reads the upstream's answer: an error (refused) or the Sync frame. */
    private void pull(LinkAction.Pull p) throws IOException, ClockSkewException, PeerRefusedException {
        List<byte[]> args = new ArrayList<>();
        args.add(RespWriter.bytes("KEYMESH"));
        args.add(RespWriter.bytes("PULL"));
        args.add(RespWriter.bytes(p.role()));
        p.positions().forEach((origin, seq) -> {
            args.add(RespWriter.bytes(origin));
            args.add(RespWriter.bytes(seq));
        });
        status.positions(p.positions());
        BlockingResp.send(out, args);
        Object first = in.read();
        if (first instanceof RespError e) {
            throw new PeerRefusedException(e.message());
        }
        LinkFrame frame = Frames.decode(first);
        if (frame instanceof LinkFrame.Sync sync) {
            boolean snapshot = sync.mode().equals(LinkFrame.Sync.SNAPSHOT);
            status.synced(snapshot, sync.keys(), time.monotonicNanos());
            log.info("{} ({}) up: {} resync from {}", name, machine.upstreamId(), sync.mode(), p.positions());
        }
        status.heard(time.wallMillis(), 0);
        todo.addAll(machine.onFrame(frame, time.monotonicNanos()));
    }

    private LogStore store() {
        return new LogStore(conn, self.databases());
    }

    /** Observes the stamps a frame carries outside a batch ({@link FrameStamps}): heartbeats and snapshot frames. */
    private void observe(LinkFrame frame) throws ClockSkewException {
        for (String stamp : FrameStamps.of(frame)) {
            clock.observe(Stamp.hlc(stamp));
        }
        if (frame instanceof LinkFrame.Heartbeat hb) {
            status.head(hb.headSeq());
        }
    }

    /** Observes every stamp of a batch; returns the wall millis of the last one. */
    private long observeAll(List<LogEntry> entries) throws ClockSkewException {
        long last = 0;
        for (LogEntry e : entries) {
            String stamp = e.stamp();
            if (stamp != null) {
                long hlc = Stamp.hlc(stamp);
                clock.observe(hlc);
                last = Hlc.millis(hlc);
            }
        }
        return last;
    }

    private void fail(String reason, boolean refused, boolean clockAhead) {
        disconnect();
        if (closed) {
            return;
        }
        if (refused) {
            status.refused(reason, clockAhead);
            log.warn("{} refused: {}", name, reason);
        } else {
            status.down(reason);
            log.debug("{}: {}", name, reason);
        }
        todo.clear();
        todo.addAll(machine.onClosed(reason, time.monotonicNanos()));
    }

    private void disconnect() {
        BlockingResp.closeQuietly(socket);
        socket = null;
        in = null;
        out = null;
        frames = null;
        if (conn != null) {
            conn.close();
            conn = null;
        }
        status.snapshot().end();
    }

    private void closeSocket() {
        BlockingResp.closeQuietly(socket);
    }

    /** The machine's view, for tests and INFO: batches skipped as already applied. */
    public long duplicates() {
        return machine.duplicates();
    }

    @Override
    public void close() {
        closed = true;
        closeSocket();
        thread.interrupt();
        synchronized (wakeup) {
            wakeup.notifyAll();
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
