package io.keymesh.topology.link;

import io.keymesh.topology.clock.TimeSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** What INFO shows of a replica's link to its current upstream (the receiving side). Thread-safe. */
public final class ReplicaStatus {
    private volatile String upstream = "";
    private volatile String upstreamId = "";
    private volatile boolean linkUp;
    private volatile String lastError = "";
    final LinkWaiting waiting;
    private volatile long lastIoMillis;
    private volatile long lastAppliedStampMillis;
    private volatile long upstreamHead;
    private final Map<String, Long> positions = new ConcurrentHashMap<>();
    final AtomicLong partialResyncs = new AtomicLong();
    final AtomicLong snapshotResyncs = new AtomicLong();
    final AtomicLong switches = new AtomicLong();
    final AtomicLong entriesApplied = new AtomicLong();
    final AtomicLong publishesReceived = new AtomicLong();
    final SnapshotProgress snapshot;

    /** A replica link's status, timed by {@code time}. */
    public ReplicaStatus(TimeSource time) {
        this.waiting = new LinkWaiting("replica link", time);
        this.snapshot = new SnapshotProgress(time);
    }

    /** "host:port" of the upstream linked or being linked, empty when none is selected. */
    public String upstream() {
        return upstream;
    }

    void upstream(String address) {
        upstream = address;
    }

    /** Node id of the linked upstream (empty until a handshake succeeded). */
    public String upstreamId() {
        return upstreamId;
    }

    void upstreamId(String id) {
        upstreamId = id;
    }

    /** True while the link streams (Redis' master_link_status:up). */
    public boolean linkUp() {
        return linkUp;
    }

    void linkUp(boolean up) {
        linkUp = up;
    }

    /** Why the link waits ("backend busy", "apply slow"), or "" (see {@link LinkWaiting}). */
    public String waiting() {
        return waiting.why();
    }

    public String lastError() {
        return lastError;
    }

    void lastError(String e) {
        lastError = e;
    }

    /** Wall millis when the upstream was last heard from (0: never). */
    public long lastIoMillis() {
        return lastIoMillis;
    }

    void heard(long wallMillis) {
        lastIoMillis = wallMillis;
    }

    void applied(long stampMillis) {
        if (stampMillis > 0) {
            lastAppliedStampMillis = stampMillis;
        }
    }

    void upstreamHead(long head) {
        upstreamHead = head;
    }

    /** The applied position vector (origin -> seq). */
    public Map<String, Long> positions() {
        return Map.copyOf(positions);
    }

    void position(String origin, long seq) {
        positions.merge(origin, seq, Math::max);
    }

    /** Sum of the position vector: grows with every applied entry (INFO's slave_repl_offset). */
    public long offset() {
        long total = 0;
        for (long v : positions.values()) {
            total += v;
        }
        return total;
    }

    /** Entries the upstream has that this replica has not applied, as of the last heartbeat. */
    public long lagOps() {
        return Math.max(0, upstreamHead - offset());
    }

    /** Milliseconds this replica is behind: 0 when caught up, else now minus the last applied entry's time. */
    public long lagMillis(long nowWallMillis) {
        if (lagOps() == 0 || lastAppliedStampMillis == 0) {
            return 0;
        }
        return Math.max(0, nowWallMillis - lastAppliedStampMillis);
    }

    public long partialResyncs() {
        return partialResyncs.get();
    }

    /** Resyncs that needed a snapshot (Redis' full resync): 0 when every switch resumed from the log. */
    public long snapshotResyncs() {
        return snapshotResyncs.get();
    }

    /** Times the followed upstream changed. */
    public long switches() {
        return switches.get();
    }

    /** PUBLISH/SPUBLISH relayed by the upstream and delivered to this node's subscribers. */
    public long publishesReceived() {
        return publishesReceived.get();
    }

    public long entriesApplied() {
        return entriesApplied.get();
    }

    /** Progress of the snapshot merge running on the link (or of the last one). */
    public SnapshotProgress snapshot() {
        return snapshot;
    }
}
