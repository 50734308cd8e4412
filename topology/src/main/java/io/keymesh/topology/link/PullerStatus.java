package io.keymesh.topology.link;

import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.LinkFrame;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What INFO shows of a pulling link, the part a primary's link to a peer ({@link PullStatus}) and a
 * replica's link to its upstream ({@link ReplicaStatus}) share: its state, the upstream's id, the
 * last error, when it was last heard from and how old its last applied entry is, what it waits on,
 * snapshot progress and the counters. {@link PullLink} reports to it through {@link
 * PullObserver#of(PullerStatus)}; each subclass keeps positions and the upstream's head its own way.
 * Thread-safe.
 */
public abstract sealed class PullerStatus permits PullStatus, ReplicaStatus {
    private volatile String state = "connecting";
    private volatile String upstreamId = "";
    private volatile String lastError = "";
    private volatile long lastHeardMillis;
    private volatile long lastAppliedStampMillis;    // wall millis of the stamp of the last applied entry
    private final AtomicLong partialResyncs = new AtomicLong();
    private final AtomicLong snapshotResyncs = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private final AtomicLong entriesApplied = new AtomicLong();
    private final AtomicLong keysMerged = new AtomicLong();
    private final AtomicLong clockRefusals = new AtomicLong();
    private final AtomicLong publishesReceived = new AtomicLong();
    final LinkWaiting waiting;
    final SnapshotProgress snapshot;

    /** The status of the link {@code name} ("link from host:port", "replica link"), timed by {@code time}. */
    PullerStatus(String name, TimeSource time) {
        this.waiting = new LinkWaiting(name, time);
        this.snapshot = new SnapshotProgress(time);
    }

    /** connecting, handshake, snapshot, streaming, down, refused or closed. */
    public String state() {
        return state;
    }

    /** Node id of the upstream (empty until a handshake succeeded). */
    public String upstreamId() {
        return upstreamId;
    }

    public String lastError() {
        return lastError;
    }

    /** Why the link waits ("backend busy", "apply slow"), or "" (see {@link LinkWaiting}). */
    public String waiting() {
        return waiting.why();
    }

    /** Wall millis when the upstream was last heard from (0: never). */
    public long lastHeardMillis() {
        return lastHeardMillis;
    }

    /** Entries the upstream has that are not applied here yet, as of its last heartbeat. */
    public abstract long lagOps();

    /** How far behind in time the applied state is: 0 when caught up, else now minus the last applied entry's stamp. */
    public long lagMillis(long nowWallMillis) {
        if (lagOps() == 0 || lastAppliedStampMillis == 0) {
            return 0;
        }
        return Math.max(0, nowWallMillis - lastAppliedStampMillis);
    }

    public long partialResyncs() {
        return partialResyncs.get();
    }

    /** Resyncs that needed a snapshot (Redis' full resync). */
    public long snapshotResyncs() {
        return snapshotResyncs.get();
    }

    public long bytesReceived() {
        return bytesReceived.get();
    }

    public long entriesApplied() {
        return entriesApplied.get();
    }

    public long keysMerged() {
        return keysMerged.get();
    }

    public long clockRefusals() {
        return clockRefusals.get();
    }

    /** PUBLISH/SPUBLISH relayed by the upstream and delivered to this node's subscribers. */
    public long publishesReceived() {
        return publishesReceived.get();
    }

    /** Progress of the snapshot merge running on the link (or of the last one). */
    public SnapshotProgress snapshot() {
        return snapshot;
    }

    // ---- what the subclasses keep their own way --------------------------------------------

    /** A connection to {@code target} ("host:port") is being opened. */
    abstract void connectingTo(String target);

    /** This node's position of {@code origin} is now {@code position}. */
    abstract void position(String origin, long position);

    /** The upstream's head, as its last heartbeat announced it. */
    abstract void head(long head);

    // ---- events, as PullLink reports them (PullObserver) ------------------------------------

    void state(String s) {
        state = s;
    }

    void lastError(String e) {
        lastError = e == null ? "" : e.replace('\r', ' ').replace('\n', ' ');
    }

    final void connecting(String target) {
        state("connecting");
        connectingTo(target);
    }

    final void upstreamId(String nodeId) {
        upstreamId = nodeId;
    }

    final void synced(boolean snapshotMode, long keys, long nanos) {
        (snapshotMode ? snapshotResyncs : partialResyncs).incrementAndGet();
        if (snapshotMode) {
            snapshot.start(keys, nanos);
        }
        state(snapshotMode ? "snapshot" : "streaming");
        lastError("");
    }

    final void heard(long wallMillis, long bytes) {
        bytesReceived.addAndGet(bytes);
        lastHeardMillis = wallMillis;
    }

    final void applied(String origin, long position, int entries, long lastStampMillis) {
        position(origin, position);
        if (entries > 0) {
            entriesApplied.addAndGet(entries);
            if (lastStampMillis > 0) {
                lastAppliedStampMillis = lastStampMillis;
            }
        }
    }

    final void snapshotEnded(String origin, long position) {
        position(origin, position);
        state("streaming");
        snapshot.end();
    }

    final void snapshotKey(LinkFrame.SnapshotKey key) {
        keysMerged.incrementAndGet();
        snapshot.merged(key);
    }

    final void published() {
        publishesReceived.incrementAndGet();
    }

    final void down(String reason, String newState) {
        state(newState);
        lastError(reason);
        snapshot.end();
    }

    final void refused(String reason, boolean clock) {
        if (clock) {
            clockRefusals.incrementAndGet();
        }
        down(reason, "refused");
    }
}
