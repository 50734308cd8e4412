package io.keymesh.topology.link;

import io.keymesh.topology.wire.LinkFrame;

import java.util.Map;

/**
 * What a pulling link tells its status as it goes ({@link PullLink} calls it; {@link
 * #of(PullerStatus)} shows it in INFO, for a primary's link to a peer and a replica's alike).
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

    /** A pulling link's view in INFO: a primary's link to a peer ({@link PullStatus}) or a replica's ({@link ReplicaStatus}). */
    static PullObserver of(PullerStatus s) {
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
                s.connecting(target);
            }

            @Override
            public void handshaking() {
                s.state("handshake");
            }

            @Override
            public void upstream(String nodeId) {
                s.upstreamId(nodeId);
            }

            @Override
            public void synced(boolean snapshot, long keys, long nanos) {
                s.synced(snapshot, keys, nanos);
            }

            @Override
            public void heard(long wallMillis, long bytes) {
                s.heard(wallMillis, bytes);
            }

            @Override
            public void applied(String origin, long position, int entries, long lastStampMillis) {
                s.applied(origin, position, entries, lastStampMillis);
            }

            @Override
            public void snapshotEnded(String origin, long position, long nanos) {
                s.snapshotEnded(origin, position);
            }

            @Override
            public void snapshotKey(LinkFrame.SnapshotKey key) {
                s.snapshotKey(key);
            }

            @Override
            public void head(long head) {
                s.head(head);
            }

            @Override
            public void published() {
                s.published();
            }

            @Override
            public void down(String reason) {
                s.down(reason, "down");
            }

            @Override
            public void refused(String reason, boolean clock) {
                s.refused(reason, clock);
            }

            @Override
            public void closed() {
                s.state("closed");
            }
        };
    }

    /** Positions read from the backend, told to the status. */
    default void positions(Map<String, Long> positions) {
        positions.forEach((origin, seq) -> applied(origin, seq, 0, 0));
    }
}
