package io.keymesh.topology.link;

import io.keymesh.topology.wire.LinkFrame;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The sending side of a replica's link, on its own thread: serves EVERY origin's log held by this
 * node ({@code km:log:*}, origins that appear later included) from the replica's position vector.
 * The first frame is one {@code Sync}: "partial" when every origin's log still holds the replica's
 * position, else "snapshot" (every key through {@code km_dumpkey}, then a {@code SnapshotEnd} per
 * origin at its head). Then batches of any origin, read through one {@link LogReader} per origin
 * (as a peer's {@link LogSender} does), each applied by the replica with {@code km_r};
 * reads only while the channel is writable (bounded memory), heartbeats while idle. Origins this
 * node expects to log ({@code expectedOrigins}: itself and its connected peers) are tailed from 0
 * before their log exists, so the first write of a new one reaches the replica as promptly as any
 * later write; other new origins are found by a periodic scan.
 */
public final class ReplicaSender implements Runnable, LinkSending {
    private static final Logger log = LoggerFactory.getLogger(ReplicaSender.class);
    /** Origin name of the single Sync frame that opens a replica link. */
    public static final String ALL_ORIGINS = "*";

    private final Channel channel;
    private final Map<String, Long> next;
    private final BackendAccess backend;
    private final int databases;
    private final LinkSettings settings;
    private final Supplier<String> stampNow;
    private final Supplier<? extends Collection<String>> expectedOrigins;
    private final ServeStatus status;
    private final Map<String, LogReader> readers = new HashMap<>();
    private final FrameChannel frames;
    private final Map<String, Long> acked = new HashMap<>();
    private volatile boolean stopped;
    private volatile boolean opened;            // the Sync frame is out: publishes may follow
    private long lastHeartbeatNanos;
    private long lastOriginScanNanos;

    public ReplicaSender(Channel channel, Map<String, Long> from, BackendAccess backend, int databases,
                         LinkSettings settings, Supplier<String> stampNow,
                         Supplier<? extends Collection<String>> expectedOrigins, ServeStatus status) {
        this.channel = channel;
        this.next = new LinkedHashMap<>(from);
        this.backend = backend;
        this.databases = databases;
        this.settings = settings;
        this.stampNow = stampNow;
        this.expectedOrigins = expectedOrigins;
        this.status = status;
        this.frames = new FrameChannel(channel, status, () -> stopped, settings.heartbeatMillis());
        synchronized (acked) {
            acked.putAll(from);
        }
        status.acked(sum(from));
    }

    @Override
    public ServeStatus status() {
        return status;
    }

    /** Called by the channel handler when writability changed. */
    @Override
    public void onWritabilityChanged() {
        frames.wake();
    }

    /** Called for each acknowledgement: the replica applied {@code origin} up to {@code seq}. */
    @Override
    public void onAck(String origin, long seq) {
        long total;
        synchronized (acked) {
            acked.merge(origin, seq, Math::max);
            total = sum(acked);
        }
        status.acked(total);
    }

    /**
     * Sends a PUBLISH relayed live to the replica's subscribers (never stored) unless the channel is
     * backed up beyond its buffer (then it is dropped and counted, as for peers); thread-safe.
     */
    public void publish(LinkFrame.Publish frame) {
        if (!channel.isActive() || !opened) {       // the replica expects its Sync frame first
            return;
        }
        frames.publishUnlessBackedUp(frame);
    }

    /** What the replica has acknowledged of each origin's log, a copy. */
    public Map<String, Long> ackedAll() {
        synchronized (acked) {
            return Map.copyOf(acked);
        }
    }

    /** What the replica has acknowledged of {@code origin}'s log (0 before anything). */
    public long ackedOf(String origin) {
        synchronized (acked) {
            return acked.getOrDefault(origin, 0L);
        }
    }

    /** Ends the thread soon. */
    @Override
    public void stop() {
        stopped = true;
        onWritabilityChanged();
    }

    @Override
    public void run() {
        try (BackendClient conn = backend.open(2 * databases, busyWait())) {
            LogStore store = new LogStore(conn, databases);
            Map<String, Long> heads = heads(store);
            boolean snapshot = false;
            for (Map.Entry<String, Long> h : heads.entrySet()) {
                if (!store.holdsAfter(h.getKey(), next.getOrDefault(h.getKey(), 0L), h.getValue())) {
                    snapshot = true;
                }
            }
            if (snapshot) {
                status.state("snapshot");
                frames.write(new LinkFrame.Sync(LinkFrame.Sync.SNAPSHOT, ALL_ORIGINS, 0,
                        SnapshotWriter.countKeys(backend, databases)));
                opened = true;
                frames.keepAlive(this::idleHeartbeat);
                log.info("replica link to {}: position {} is behind the log, sending a snapshot up to {}",
                        status.peerId(), next, heads);
                SnapshotWriter.send(backend, databases, frames, () -> stopped || !channel.isActive(), () -> { },
                        status);
                for (Map.Entry<String, Long> h : heads.entrySet()) {
                    frames.write(new LinkFrame.SnapshotEnd(h.getKey(), h.getValue()));
                    next.merge(h.getKey(), h.getValue(), Math::max);
                }
            } else {
                frames.write(new LinkFrame.Sync(LinkFrame.Sync.PARTIAL, ALL_ORIGINS, 0));
                opened = true;
                frames.keepAlive(this::idleHeartbeat);
            }
            for (String origin : heads.keySet()) {
                next.putIfAbsent(origin, 0L);
            }
            status.state("streaming");
            stream(store);
        } catch (IOException | RuntimeException e) {
            if (!stopped && channel.isActive()) {
                log.warn("replica link to {} ({}): sender failed: {}", status.peerId(), status.address(), e.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            status.state("closed");
            channel.close();
        }
    }

    private Map<String, Long> heads(LogStore store) throws IOException {
        Map<String, Long> heads = new LinkedHashMap<>();
        for (String origin : store.origins()) {
            heads.put(origin, store.position(origin));
        }
        return heads;
    }

    private void stream(LogStore store) throws IOException, InterruptedException {
        while (!stopped && channel.isActive()) {
            if (!frames.awaitWritable()) {
                return;
            }
            if (!heartbeatIfDue(store)) {
                return;                 // an origin's log lost entries this link has not sent: resync
            }
            tailExpectedOrigins();
            discoverOrigins(store);
            if (next.isEmpty()) {
                Thread.sleep(settings.tailBlockMillis());
                continue;
            }
            boolean sent = false;
            long linger = 0;
            for (Map.Entry<String, Long> e : next.entrySet()) {
                LogReader reader = readers.computeIfAbsent(e.getKey(), o -> new LogReader(o, e.getValue(), settings));
                LinkFrame.Batch batch;
                try {
                    batch = reader.next(store, 0);
                } catch (LogReader.LogGapException gap) {
                    log.warn("replica link to {}: {}; closing so it resyncs", status.peerId(), gap.getMessage());
                    return;
                }
                if (batch == null) {
                    continue;       // nothing new, or a transaction still being read: the next round reads on
                }
                frames.write(batch);
                e.setValue(batch.lastSeq());
                sent = true;
                linger = Math.max(linger, settings.lingerNanosAfter(batch.entries()));
            }
            if (sent) {
                status.sent(sum(next));
                LockSupport.parkNanos(linger);   // 0 unless a log is busy
                continue;
            }
            awaitAny(store);
        }
    }

    /** Blocks (XREAD BLOCK) until some known origin's log grows or the tail interval passes. */
    private void awaitAny(LogStore store) throws IOException {
        List<String> args = new ArrayList<>();
        args.add("XREAD");
        args.add("COUNT");
        args.add("1");
        args.add("BLOCK");
        args.add(Long.toString(settings.tailBlockMillis()));
        args.add("STREAMS");
        for (String origin : next.keySet()) {
            args.add(LogStore.logKey(origin));
        }
        for (long seq : next.values()) {
            args.add(seq + "-0");
        }
        store.backend().ok(args);
    }

    /**
     * Adds every expected origin not served yet at position 0 (its log may not exist yet): the XREAD
     * of {@link #awaitAny} then wakes on its first entry. Safe before the log exists: a log that turns
     * out to start past 1 is caught by the stream loop's first-entry check and the heartbeat's.
     */
    private void tailExpectedOrigins() {
        for (String origin : expectedOrigins.get()) {
            if (!origin.isEmpty() && next.putIfAbsent(origin, 0L) == null) {
                log.debug("replica link to {}: tailing origin {} from its first entry", status.peerId(), origin);
            }
        }
    }

    private void discoverOrigins(LogStore store) throws IOException {
        long now = System.nanoTime();
        if (now - lastOriginScanNanos < settings.tailBlockMillis() * 5_000_000L) {
            return;
        }
        lastOriginScanNanos = now;
        for (String origin : store.origins()) {
            if (!next.containsKey(origin)) {
                if (!store.holdsAfter(origin, 0, store.position(origin))) {
                    // entries of it are gone (trimmed) before this link saw them: never skip them silently
                    throw new IllegalStateException("new origin " + origin + " no longer starts at 1 (first "
                            + store.firstSeq(origin) + "); the replica must resync");
                }
                next.put(origin, 0L);
                log.info("replica link to {}: now also serving origin {}", status.peerId(), origin);
            }
        }
    }

    /**
     * While the node's redis-server is busy (a script runs), this sender's calls wait and retry
     * ({@link BusyWait}) until the link closes; the channel's keep-alive heartbeats
     * ({@link FrameChannel#keepAlive}) meanwhile keep the peer's link from timing out.
     */
    /** A heartbeat from the clock and the last head this sender knew; needs no backend call. */
    private LinkFrame idleHeartbeat() {
        return new LinkFrame.Heartbeat(stampNow.get(), status.headSeq());
    }

    private BusyWait busyWait() {
        return new BusyWait("replica link to " + status.address()).whileWaiting(() -> !stopped && channel.isActive());
    }


    /**
     * Sends a heartbeat when one is due, first checking that every origin this link is behind on still
     * holds its next entry (the stream loop skips an origin whose log reads empty); false when one does
     * not, so the link closes and the replica resyncs instead of missing entries silently.
     */
    private boolean heartbeatIfDue(LogStore store) throws IOException {
        long now = System.nanoTime();
        if (now - lastHeartbeatNanos >= settings.heartbeatMillis() * 1_000_000L) {
            lastHeartbeatNanos = now;
            long head = 0;
            for (String origin : store.origins()) {
                long position = store.position(origin);
                head += position;
                Long sentTo = next.get(origin);
                if (sentTo != null && !store.holdsAfter(origin, Math.max(sentTo, readTo(origin)), position)) {
                    log.warn("replica link to {}: log of {} no longer holds {} (first {}); closing so it resyncs",
                            status.peerId(), origin, sentTo + 1, store.firstSeq(origin));
                    return false;
                }
            }
            status.head(head);
            frames.write(new LinkFrame.Heartbeat(stampNow.get(), head));
        }
        return true;
    }

    /** How far this link has read {@code origin}'s log (entries read wait in its reader to be sent). */
    private long readTo(String origin) {
        LogReader reader = readers.get(origin);
        return reader == null ? 0 : reader.read();
    }

    private static long sum(Map<String, Long> positions) {
        long total = 0;
        for (long v : positions.values()) {
            total += v;
        }
        return total;
    }
}
