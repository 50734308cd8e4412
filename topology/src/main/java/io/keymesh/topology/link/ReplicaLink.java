package io.keymesh.topology.link;

import io.keymesh.topology.clock.ClockSkewException;
import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.HybridClock;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.Hello;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.wire.RespError;
import io.keymesh.topology.wire.RespFormatException;
import io.keymesh.topology.wire.RespParser;
import io.keymesh.topology.wire.RespStreamReader;
import io.keymesh.topology.wire.RespWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A replica's link, on its own thread: follows the upstream {@code current} names ("host:port", null
 * while none is healthy), runs the handshake as a replica ({@link LinkHandshake}: both sides prove the
 * cluster secret), asks with
 * {@code KEYMESH PULL replica <origin> <seq> ...} for every origin's log from its position vector
 * ({@code km:pos}), applies each batch with {@code FCALL km_r} for its origin and snapshot keys with
 * {@code km_mergekey}, and acknowledges. {@link #upstreamChanged()} drops the connection so the
 * next one goes to the newly selected upstream, resuming from the same vector.
 */
public final class ReplicaLink implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaLink.class);

    private final Supplier<String> current;
    private volatile PeerLink.Self self;
    private final HybridClock clock;
    private final TimeSource time;
    private final BackendAccess backend;
    private final LinkSettings settings;
    private final ReplicaStatus status = new ReplicaStatus();
    private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    private final Object wakeup = new Object();
    private final Thread thread;
    private volatile boolean closed;
    private volatile Socket socket;
    private volatile Consumer<String> onSecretRefusal = why -> { };

    private record Waiter(String origin, long seq, CompletableFuture<Void> done) {
    }

    public ReplicaLink(Supplier<String> current, PeerLink.Self self, HybridClock clock, TimeSource time,
                       BackendAccess backend, LinkSettings settings) {
        this.current = current;
        this.self = self;
        this.clock = clock;
        this.time = time;
        this.backend = backend;
        this.settings = settings;
        this.thread = new Thread(this::loop, "keymesh-replica-link");
        this.thread.setDaemon(true);
    }

    public ReplicaStatus status() {
        return status;
    }

    /** Sets the address told to upstreams ("host:port"), once the client port is bound. */
    public void advertise(String address) {
        PeerLink.Self s = self;
        self = new PeerLink.Self(s.nodeId(), s.role(), address, s.clusterSecret(), s.databases());
    }

    /** Called with the reason each time this link refuses an upstream that cannot prove the cluster secret (set before start). */
    public void onSecretRefusal(Consumer<String> listener) {
        this.onSecretRefusal = listener;
    }

    /** Loads the position vector and starts following. */
    public void start() {
        try (BackendClient conn = backend.open(2 * self.databases())) {
            LogStore store = new LogStore(conn, self.databases());
            for (String origin : store.origins()) {
                status.position(origin, store.position(origin));
            }
        } catch (IOException e) {
            log.warn("replica: cannot read the position vector yet: {}", e.toString());
        }
        thread.start();
    }

    /** The selected upstream changed: reconnect to the new one (the position vector carries over). */
    public void upstreamChanged() {
        status.switches.incrementAndGet();
        status.linkUp(false);
        closeSocket();
        synchronized (wakeup) {
            wakeup.notifyAll();
        }
    }

    /** Completes once {@code origin}'s log is applied here up to {@code seq} (at once if it already is). */
    public CompletableFuture<Void> awaitApplied(String origin, long seq) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Waiter w = new Waiter(origin, seq, done);
        waiters.add(w);
        release();
        return done;
    }

    private void release() {
        Map<String, Long> positions = status.positions();
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (w.done.isDone()) {
                it.remove();
            } else if (positions.getOrDefault(w.origin, 0L) >= w.seq) {
                it.remove();
                w.done.complete(null);
            }
        }
    }

    private void loop() {
        Backoff backoff = new Backoff(settings.reconnectMinMillis(), settings.reconnectMaxMillis());
        while (!closed) {
            String target = current.get();
            status.upstream(target == null ? "" : target);
            if (target == null) {
                status.linkUp(false);
                pause(100);
                continue;
            }
            BusyWait busy = new BusyWait("replica link to " + target).reportTo(status.waiting::busy)
                    .whileWaiting(() -> !closed);
            try (BackendClient conn = backend.open(2 * self.databases(), busy)) {
                session(conn, target, backoff);
            } catch (SecretRefusedException e) {
                if (!closed) {
                    status.lastError(e.getMessage());
                    onSecretRefusal.accept(e.getMessage());
                    log.warn("replica link to {} refused: {}", target, e.getMessage());
                }
            } catch (IOException | RuntimeException | ClockSkewException | PeerRefusedException e) {
                if (!closed) {
                    status.lastError(e.getMessage() == null ? e.toString() : e.getMessage());
                    log.debug("replica link to {}: {}", target, e.toString());
                }
            } finally {
                status.linkUp(false);
                status.snapshot.end();
                closeSocket();
            }
            if (closed) {
                break;
            }
            pause(backoff.next());
        }
    }

    private void pause(long millis) {
        synchronized (wakeup) {
            try {
                wakeup.wait(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closed = true;
            }
        }
    }

    /** One connection to {@code target}: handshake, pull, apply until it fails or the upstream changes; {@code backoff} resets once it streams. */
    private void session(BackendClient conn, String target, Backoff backoff)
            throws IOException, ClockSkewException, PeerRefusedException {
        LogStore store = new LogStore(conn, self.databases());
        int colon = target.lastIndexOf(':');
        Socket s = settings.sockets().create();
        socket = s;             // closing the TCP socket also stops a TLS session over it, without blocking
        if (closed || !target.equals(current.get())) {
            return;
        }
        s = settings.sockets().connect(s, target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)),
                settings.connectTimeoutMillis());
        s.setSoTimeout((int) settings.linkTimeoutMillis());
        OutputStream out = s.getOutputStream();
        RespStreamReader in = new RespStreamReader(s.getInputStream(), RespParser.standard());
        String stamp = Stamp.of(clock.now(), self.nodeId());
        Hello.Reply reply = LinkHandshake.greet(out, in, self, "replica", stamp, "upstream " + target);
        if (reply.databases() != self.databases()) {
            throw new PeerRefusedException("upstream has " + reply.databases() + " databases, this replica "
                    + self.databases() + "; keymesh.storage.redis.databases must match");
        }
        clock.observe(Stamp.hlc(reply.stamp()));
        status.upstreamId(reply.nodeId());
        List<byte[]> pull = new ArrayList<>();
        for (String w : new String[] {"KEYMESH", "PULL", "replica"}) {
            pull.add(RespWriter.bytes(w));
        }
        for (String origin : store.origins()) {
            long seq = store.position(origin);
            status.position(origin, seq);
            pull.add(RespWriter.bytes(origin));
            pull.add(RespWriter.bytes(seq));
        }
        BlockingResp.send(out, pull);
        Object first = in.read();
        if (first instanceof RespError e) {
            throw new PeerRefusedException(e.message());
        }
        LinkFrame frame0 = Frames.decode(first);
        if (!(frame0 instanceof LinkFrame.Sync sync)) {
            throw new RespFormatException("expected Sync, got " + frame0);
        }
        boolean snapshot = sync.mode().equals(LinkFrame.Sync.SNAPSHOT);
        (snapshot ? status.snapshotResyncs : status.partialResyncs).incrementAndGet();
        if (snapshot) {
            status.snapshot.start(sync.keys(), System.nanoTime());
        }
        backoff.streamed();
        status.linkUp(!snapshot);
        status.lastError("");
        status.heard(time.wallMillis());
        log.info("replica link to {} ({}) up: {} resync from {}", target, reply.nodeId(), sync.mode(),
                status.positions());
        String n = Integer.toString(self.databases());
        FrameInput frames = new FrameInput(in, settings.batchEntriesMax(), settings.batchBytesMax(),
                FrameInput.JOIN_BATCHES_MAX * (long) settings.batchBytesMax());
        while (!closed) {
            LinkFrame frame = frames.next();
            status.heard(time.wallMillis());
            if (frame instanceof LinkFrame.Batch batch) {
                long lastMillis = 0;
                for (LogEntry e : batch.entries()) {
                    if (e.stamp() != null) {
                        long hlc = Stamp.hlc(e.stamp());
                        clock.observe(hlc);
                        lastMillis = Hlc.millis(hlc);
                    }
                }
                status.waiting.applying();
                long started = System.nanoTime();
                long applied = BatchApply.apply(conn, n, batch);
                frames.applied(System.nanoTime() - started);
                status.waiting.applied(batch.entries().size());
                status.position(batch.origin(), applied);
                status.applied(lastMillis);
                status.entriesApplied.addAndGet(batch.entries().size());
                release();
                BlockingResp.send(out, Frames.toArgs(new LinkFrame.Ack(batch.origin(), applied)));
            } else if (frame instanceof LinkFrame.Heartbeat hb) {
                clock.observe(Stamp.hlc(hb.stamp()));
                status.upstreamHead(hb.headSeq());
                BlockingResp.send(out, Frames.toArgs(aliveAck(reply.nodeId())));
            } else if (frame instanceof LinkFrame.SnapshotFlush flush) {
                SnapshotApply.flush(conn, n, flush);
            } else if (frame instanceof LinkFrame.SnapshotLibrary library) {
                SnapshotApply.library(conn, n, library);
            } else if (frame instanceof LinkFrame.SnapshotKey key) {
                SnapshotApply.key(conn, n, key);
                status.snapshot.merged(key);
                if (status.snapshot.logDue(System.nanoTime())) {
                    log.info("replica link to {}: snapshot {}", target, status.snapshot.describe(System.nanoTime()));
                }
            } else if (frame instanceof LinkFrame.SnapshotEnd end) {
                long applied = store.raisePosition(end.origin(), end.seq());
                status.position(end.origin(), applied);
                if (status.snapshot.running()) {
                    status.snapshot.end();
                    log.info("replica link to {}: snapshot merged ({})", target, status.snapshot.describe(System.nanoTime()));
                }
                status.linkUp(true);
                release();
                BlockingResp.send(out, Frames.toArgs(new LinkFrame.Ack(end.origin(), applied)));
            } else if (frame instanceof LinkFrame.Publish pub) {
                conn.ok(List.of(pub.sharded() ? "SPUBLISH" : "PUBLISH", pub.channel(), pub.message()));
                status.publishesReceived.incrementAndGet();
            } else {
                throw new RespFormatException("unexpected frame on a replica link: " + frame);
            }
        }
    }

    /**
     * The acknowledgement answering a heartbeat, so the upstream knows this replica is alive while no
     * write flows (its write quorum and INFO lag count on it, as Redis' REPLCONF ACK every second):
     * the position of some origin already applied, or 0 for the upstream's own origin before any.
     */
    private LinkFrame.Ack aliveAck(String upstreamId) {
        Map<String, Long> positions = status.positions();
        for (Map.Entry<String, Long> e : positions.entrySet()) {
            return new LinkFrame.Ack(e.getKey(), e.getValue());
        }
        return new LinkFrame.Ack(upstreamId, 0);
    }

    private void closeSocket() {
        BlockingResp.closeQuietly(socket);
    }

    @Override
    public void close() {
        closed = true;
        closeSocket();
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Waiter w : waiters) {
            w.done.completeExceptionally(new IllegalStateException("replica link closed"));
        }
    }
}
