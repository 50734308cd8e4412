package io.keymesh.topology.link;

import io.keymesh.topology.wire.LinkFrame;

import java.util.Map;

/**
 * What a pulling link tells its status as it goes ({@link PullLink} calls it; {@link #of(PullStatus)}
 * and {@link #of(ReplicaStatus)} show a primary's and a replica's view in INFO).
 */
interface PullObserver {
    LinkWaiting waiting();

    SnapshotProgress snapshot();

    /** A connection to {@code target} is being opened. */
    void connecting(String target);

    /** The handshake is under way. */
    void handshaking();

    /** The handshake named the upstream. */
    void upstream(String nodeId);

    /** The upstream's Sync arrived. */
    void synced(boolean snapshot, long keys, long nanos);

    /** A frame arrived, {@code bytes} since the last one. */
    void heard(long wallMillis, long bytes);

    /** This node's position of {@code origin} is {@code position}, {@code entries} entries later (0: only known now). */
    void applied(String origin, long position, int entries, long lastStampMillis);

    /** A snapshot ended at {@code position} of {@code origin}. */
    void snapshotEnded(String origin, long position, long nanos);

    /** One snapshot key merged. */
    void snapshotKey(LinkFrame.SnapshotKey key);

    /** The upstream's head, as its last heartbeat announced it. */
    void head(long head);

    /** A relayed publish was delivered. */
    void published();

    /** The link went down for {@code reason}. */
    void down(String reason);

    /** The upstream was refused (or refused this node) for {@code reason}; {@code clock}: its clock ran ahead. */
    void refused(String reason, boolean clock);

    /** The link ended for good. */
    void closed();

    /** A primary's link to a peer. */
    static PullObserver of(PullStatus s) {
        return new PullObserver() {
            @Override
            public LinkWaiting waiting() {
                return s.waiting;
            }

            @Override
            public SnapshotProgress snapshot() {
                return s.snapshot;
            }

            @Override
            public void connecting(String target) {
                s.state("connecting");
            }

            @Override
            public void handshaking() {
                s.state("handshake");
            }

            @Override
            public void upstream(String nodeId) {
                s.peerId(nodeId);
            }

            @Override
            public void synced(boolean snapshot, long keys, long nanos) {
                (snapshot ? s.snapshotResyncs : s.partialResyncs).incrementAndGet();
                if (snapshot) {
                    s.snapshot.start(keys, nanos);
                }
                s.state(snapshot ? "snapshot" : "streaming");
                s.lastError("");
            }

            @Override
            public void heard(long wallMillis, long bytes) {
                s.bytesReceived.addAndGet(bytes);
                s.heard(wallMillis);
            }

            @Override
            public void applied(String origin, long position, int entries, long lastStampMillis) {
                if (origin.equals(s.peerId())) {
                    s.position(position);
                }
                if (entries > 0) {
                    s.entriesApplied.addAndGet(entries);
                    s.applied(lastStampMillis);
                }
            }

            @Override
            public void snapshotEnded(String origin, long position, long nanos) {
                applied(origin, position, 0, 0);
                s.state("streaming");
                s.snapshot.end();
            }

            @Override
            public void snapshotKey(LinkFrame.SnapshotKey key) {
                s.keysMerged.incrementAndGet();
                s.snapshot.merged(key);
            }

            @Override
            public void head(long head) {
                s.peerHead(head);
            }

            @Override
            public void published() {
                s.publishesReceived.incrementAndGet();
            }

            @Override
            public void down(String reason) {
                s.state("down");
                s.lastError(reason);
                s.snapshot.end();
            }

            @Override
            public void refused(String reason, boolean clock) {
                if (clock) {
                    s.clockRefusals.incrementAndGet();
                }
                s.state("refused");
                s.lastError(reason);
                s.snapshot.end();
            }

            @Override
            public void closed() {
                s.state("closed");
            }
        };
    }

    /** A replica's link to its upstream. */
    static PullObserver of(ReplicaStatus s) {
        return new PullObserver() {
            @Override
            public LinkWaiting waiting() {
                return s.waiting;
            }

            @Override
            public SnapshotProgress snapshot() {
                return s.snapshot;
            }

            @Override
            public void connecting(String target) {
                s.upstream(target);
            }

            @Override
            public void handshaking() {
            }

            @Override
            public void upstream(String nodeId) {
                s.upstreamId(nodeId);
            }

            @Override
            public void synced(boolean snapshot, long keys, long nanos) {
                (snapshot ? s.snapshotResyncs : s.partialResyncs).incrementAndGet();
                if (snapshot) {
                    s.snapshot.start(keys, nanos);
                }
                s.linkUp(!snapshot);
                s.lastError("");
            }

            @Override
            public void heard(long wallMillis, long bytes) {
                s.heard(wallMillis);
            }

            @Override
            public void applied(String origin, long position, int entries, long lastStampMillis) {
                s.position(origin, position);
                if (entries > 0) {
                    s.entriesApplied.addAndGet(entries);
                    s.applied(lastStampMillis);
                }
            }

            @Override
            public void snapshotEnded(String origin, long position, long nanos) {
                s.position(origin, position);
                s.snapshot.end();
                s.linkUp(true);
            }

            @Override
            public void snapshotKey(LinkFrame.SnapshotKey key) {
                s.snapshot.merged(key);
            }

            @Override
            public void head(long head) {
                s.upstreamHead(head);
            }

            @Override
            public void published() {
                s.publishesReceived.incrementAndGet();
            }

            @Override
            public void down(String reason) {
                s.linkUp(false);
                s.lastError(reason);
                s.snapshot.end();
            }

            @Override
            public void refused(String reason, boolean clock) {
                down(reason);
            }

            @Override
            public void closed() {
                s.linkUp(false);
            }
        };
    }

    /** Positions read from the backend, told to the status. */
    default void positions(Map<String, Long> positions) {
        positions.forEach((origin, seq) -> applied(origin, seq, 0, 0));
    }
}
