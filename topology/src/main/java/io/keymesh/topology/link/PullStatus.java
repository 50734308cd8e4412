package io.keymesh.topology.link;

import io.keymesh.topology.clock.TimeSource;
import java.util.concurrent.atomic.AtomicLong;

/** What INFO shows of one link this node pulls from a peer (the receiving side). Thread-safe. */
public final class PullStatus {
    private final String address;
    private volatile String peerId = "";
    private volatile String state = "connecting";
    private volatile String lastError = "";
    private volatile long position;
    private volatile long peerHead;
    private volatile long lastAppliedMillis;     // wall millis of the stamp of the last applied entry
    private volatile long lastHeardMillis;
    final AtomicLong partialResyncs = new AtomicLong();
    final AtomicLong snapshotResyncs = new AtomicLong();
    final AtomicLong bytesReceived = new AtomicLong();
    final AtomicLong entriesApplied = new AtomicLong();
    final AtomicLong keysMerged = new AtomicLong();
    final AtomicLong clockRefusals = new AtomicLong();
    final AtomicLong publishesReceived = new AtomicLong();
    final SnapshotProgress snapshot;

    final LinkWaiting waiting;

    /** The status of the link from the peer at {@code address}, timed by {@code time}. */
    public PullStatus(String address, TimeSource time) {
        this.address = address;
        this.waiting = new LinkWaiting("link from " + address, time);
        this.snapshot = new SnapshotProgress(time);
    }

    /** Why the link waits ("backend busy", "apply slow"), or "" (see {@link LinkWaiting}). */
    public String waiting() {
        return waiting.why();
    }

    public String address() {
        return address;
    }

    public String peerId() {
        return peerId;
    }

    void peerId(String id) {
        peerId = id;
    }

    /** connecting, handshake, snapshot, streaming, down or refused. */
    public String state() {
        return state;
    }

    void state(String s) {
        state = s;
    }

    public String lastError() {
        return lastError;
    }

    void lastError(String e) {
        lastError = e == null ? "" : e.replace('\r', ' ').replace('\n', ' ');
    }

    /** Highest sequence of the peer's origin applied here. */
    public long position() {
        return position;
    }

    void position(long p) {
        position = p;
        if (p > peerHead) {
            peerHead = p;
        }
    }

    void peerHead(long head) {
        if (head > peerHead) {
            peerHead = head;
        }
    }

    void applied(long stampMillis) {
        lastAppliedMillis = stampMillis;
    }

    void heard(long wallMillis) {
        lastHeardMillis = wallMillis;
    }

    /** Entries the peer has that are not applied here yet. */
    public long lagOps() {
        return Math.max(0, peerHead - position);
    }

    /** How far behind in time the applied state is: 0 when caught up. */
    public long lagMillis(long nowWallMillis) {
        if (lagOps() == 0 || lastAppliedMillis == 0) {
            return 0;
        }
        return Math.max(0, nowWallMillis - lastAppliedMillis);
    }

    public long lastHeardMillis() {
        return lastHeardMillis;
    }

    public long partialResyncs() {
        return partialResyncs.get();
    }

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

    public long publishesReceived() {
        return publishesReceived.get();
    }

    /** Progress of the snapshot merge running on the link (or of the last one). */
    public SnapshotProgress snapshot() {
        return snapshot;
    }
}
