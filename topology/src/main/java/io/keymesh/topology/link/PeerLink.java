package io.keymesh.topology.link;

import io.keymesh.topology.clock.ClockSkewException;
import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.HybridClock;
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
import io.keymesh.topology.clock.Stamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.List;
import java.util.function.Consumer;

/**
 * The pulling side of the link to one configured peer, on its own thread: connects to the peer's
 * client port, runs the handshake ({@link LinkHandshake}: both sides prove the cluster secret), asks
 * for the peer's own log from this node's position ({@code km:pos}) with {@code KEYMESH PULL},
 * applies every batch with one
 * {@code FCALL km_r}, every snapshot key with {@code FCALL km_mergekey}, publishes relayed PUBLISH
 * frames on the local backend once, observes every stamp in the node's clock (a peer too far ahead
 * is refused), and acknowledges applied positions on the same connection. Any failure closes the
 * connection and it reconnects with exponential backoff, resuming from {@code km:pos}.
 */
public final class PeerLink implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PeerLink.class);

    /** Who this node is, as told to the peer. */
    public record Self(String nodeId, String role, String advertise, String clusterSecret, int databases) {
    }

    private final String host;
    private final int port;
    private final Self self;
    private final HybridClock clock;
    private final TimeSource time;
    private final BackendAccess backend;
    private final LinkSettings settings;
    private final PullStatus status;
    private final Thread thread;
    private final Backoff backoff;
    private volatile boolean closed;
    private volatile Socket socket;
    private volatile Consumer<LinkFrame.Publish> onPublish = p -> { };
    private volatile Consumer<String> onSecretRefusal = why -> { };

    public PeerLink(String address, Self self, HybridClock clock, TimeSource time, BackendAccess backend,
                    LinkSettings settings) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("peer address must be host:port, got " + address);
        }
        this.host = address.substring(0, colon);
        this.port = Integer.parseInt(address.substring(colon + 1));
        this.self = self;
        this.clock = clock;
        this.time = time;
        this.backend = backend;
        this.settings = settings;
        this.status = new PullStatus(address);
        this.backoff = new Backoff(settings.reconnectMinMillis(), settings.reconnectMaxMillis());
        this.thread = new Thread(this::loop, "keymesh-pull-" + address);
        this.thread.setDaemon(true);
    }

    public PullStatus status() {
        return status;
    }

    /** Called with every publish the peer relays, after its delivery to local subscribers (set before start). */
    public void onPublish(Consumer<LinkFrame.Publish> listener) {
        this.onPublish = listener;
    }

    /** Called with the reason each time this link refuses a peer that cannot prove the cluster secret (set before start). */
    public void onSecretRefusal(Consumer<String> listener) {
        this.onSecretRefusal = listener;
    }

    public void start() {
        thread.start();
    }

    private void loop() {
        while (!closed) {
            BusyWait busy = new BusyWait("link from " + status.address()).reportTo(status.waiting::busy)
                    .whileWaiting(() -> !closed);
            try (BackendClient conn = backend.open(2 * self.databases(), busy)) {
                session(conn);
            } catch (ClockSkewException e) {
                status.clockRefusals.incrementAndGet();
                refuse("peer clock ahead by " + e.aheadMillis() + " ms (max-clock-offset " + clock.clockOffsetMillisMax()
                        + " ms)");
            } catch (SecretRefusedException e) {
                onSecretRefusal.accept(e.getMessage());
                refuse(e.getMessage());
            } catch (PeerRefusedException e) {
                if (e.getMessage().contains("clock ahead")) {
                    status.clockRefusals.incrementAndGet();
                }
                refuse(e.getMessage());
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    status.state("down");
                    status.lastError(e.getMessage() == null ? e.toString() : e.getMessage());
                    log.debug("link from {}: {}", status.address(), e.toString());
                }
            } finally {
                status.snapshot.end();
                closeSocket();
            }
            if (closed) {
                break;
            }
            try {
                Thread.sleep(backoff.next());
            } catch (InterruptedException e) {
                break;
            }
        }
        status.state("closed");
    }

    private void refuse(String reason) {
        if (closed) {
            return;
        }
        status.state("refused");
        status.lastError(reason);
        log.warn("link from {} refused: {}", status.address(), reason);
    }

    /** One connection: handshake, pull, apply until it fails or the link closes (the backoff resets once it streams). */
    private void session(BackendClient conn) throws IOException, ClockSkewException, PeerRefusedException {
        LogStore store = new LogStore(conn, self.databases());
        status.state("connecting");
        Socket s = settings.sockets().create();
        socket = s;             // closing the TCP socket also stops a TLS session over it, without blocking
        s = settings.sockets().connect(s, host, port, settings.connectTimeoutMillis());
        s.setSoTimeout((int) settings.linkTimeoutMillis());
        OutputStream out = s.getOutputStream();
        RespStreamReader in = new RespStreamReader(s.getInputStream(), RespParser.standard());
        status.state("handshake");
        String stamp = Stamp.of(clock.now(), self.nodeId());
        Hello.Reply reply = LinkHandshake.greet(out, in, self, self.role(), stamp, "peer " + status.address());
        if (reply.nodeId().equals(self.nodeId())) {
            throw new PeerRefusedException("peer " + status.address() + " has this node's own id " + self.nodeId()
                    + " (is the node listed as its own peer?)");
        }
        if (reply.databases() != self.databases()) {
            throw new PeerRefusedException("peer has " + reply.databases() + " databases, this node "
                    + self.databases() + "; keymesh.storage.redis.databases must match");
        }
        clock.observe(Stamp.hlc(reply.stamp()));
        String origin = reply.nodeId();
        status.peerId(origin);
        long position = store.position(origin);
        status.position(position);
        BlockingResp.send(out, List.of(RespWriter.bytes("KEYMESH"), RespWriter.bytes("PULL"), RespWriter.bytes("peer"),
                RespWriter.bytes(origin), RespWriter.bytes(position)));
        Object first = in.read();
        if (first instanceof RespError e) {
            throw new PeerRefusedException(e.message());
        }
        LinkFrame.Sync sync = (LinkFrame.Sync) expect(Frames.decode(first), LinkFrame.Sync.class);
        boolean snapshot = sync.mode().equals(LinkFrame.Sync.SNAPSHOT);
        (snapshot ? status.snapshotResyncs : status.partialResyncs).incrementAndGet();
        if (snapshot) {
            status.snapshot.start(sync.keys(), System.nanoTime());
        }
        backoff.streamed();
        status.state(snapshot ? "snapshot" : "streaming");
        status.lastError("");
        log.info("link from {} ({}) up: {} resync from {}", status.address(), origin, sync.mode(), position);
        long counted = in.bytesRead();
        String n = Integer.toString(self.databases());
        FrameInput frames = new FrameInput(in, settings.batchEntriesMax(), settings.batchBytesMax(),
                FrameInput.JOIN_BATCHES_MAX * (long) settings.batchBytesMax());
        while (!closed) {
            LinkFrame frame = frames.next();
            status.bytesReceived.addAndGet(in.bytesRead() - counted);
            counted = in.bytesRead();
            status.heard(time.wallMillis());
            if (frame instanceof LinkFrame.Batch batch) {
                if (!batch.origin().equals(origin)) {
                    throw new RespFormatException("batch of origin " + batch.origin() + " on the link of " + origin);
                }
                long lastMillis = observeAll(batch.entries());
                status.waiting.applying();
                long started = System.nanoTime();
                long applied = BatchApply.apply(conn, n, batch);
                frames.applied(System.nanoTime() - started);
                status.waiting.applied(batch.entries().size());
                status.position(applied);
                status.applied(lastMillis);
                status.entriesApplied.addAndGet(batch.entries().size());
                BlockingResp.send(out, Frames.toArgs(new LinkFrame.Ack(origin, applied)));
            } else if (frame instanceof LinkFrame.Heartbeat hb) {
                clock.observe(Stamp.hlc(hb.stamp()));
                status.peerHead(hb.headSeq());
            } else if (frame instanceof LinkFrame.SnapshotFlush flush) {
                SnapshotApply.flush(conn, n, flush);
            } else if (frame instanceof LinkFrame.SnapshotLibrary library) {
                SnapshotApply.library(conn, n, library);
            } else if (frame instanceof LinkFrame.SnapshotKey key) {
                SnapshotApply.key(conn, n, key);
                status.keysMerged.incrementAndGet();
                status.snapshot.merged(key);
                if (status.snapshot.logDue(System.nanoTime())) {
                    log.info("link from {} ({}): snapshot {}", status.address(), origin,
                            status.snapshot.describe(System.nanoTime()));
                }
            } else if (frame instanceof LinkFrame.SnapshotEnd end) {
                long applied = store.raisePosition(end.origin(), end.seq());
                status.position(applied);
                status.state("streaming");
                status.snapshot.end();
                log.info("link from {} ({}): snapshot merged ({}), position {}", status.address(), origin,
                        status.snapshot.describe(System.nanoTime()), applied);
                BlockingResp.send(out, Frames.toArgs(new LinkFrame.Ack(origin, applied)));
            } else if (frame instanceof LinkFrame.Publish pub) {
                conn.ok(List.of(pub.sharded() ? "SPUBLISH" : "PUBLISH", pub.channel(), pub.message()));
                status.publishesReceived.incrementAndGet();
                onPublish.accept(pub);
            } else {
                throw new RespFormatException("unexpected frame on a pulling link: " + frame);
            }
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

    private static LinkFrame expect(LinkFrame frame, Class<? extends LinkFrame> type) {
        if (!type.isInstance(frame)) {
            throw new RespFormatException("expected " + type.getSimpleName() + ", got " + frame);
        }
        return frame;
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
    }
}
