package io.keymesh.topology.link;

import io.keymesh.topology.clock.TimeSource;

/**
 * What INFO shows of one link this node pulls from a peer (the receiving side): what every pulling
 * link shows ({@link PullerStatus}), the peer's address, this node's position of the peer's own
 * origin and the peer's head. Thread-safe.
 */
public final class PullStatus extends PullerStatus {
    private final String address;
    private volatile long position;
    private volatile long peerHead;

    /** The status of the link from the peer at {@code address}, timed by {@code time}. */
    public PullStatus(String address, TimeSource time) {
        super("link from " + address, time);
        this.address = address;
    }

    public String address() {
        return address;
    }

    /** The peer's node id (empty until a handshake succeeded). */
    public String peerId() {
        return upstreamId();
    }

    /** Highest sequence of the peer's origin applied here. */
    public long position() {
        return position;
    }

    @Override
    public long lagOps() {
        return Math.max(0, peerHead - position);
    }

    @Override
    void connectingTo(String target) {
    }

    @Override
    void position(String origin, long p) {
        if (!origin.equals(upstreamId())) {
            return;
        }
        position = p;
        if (p > peerHead) {
            peerHead = p;
        }
    }

    @Override
    void head(long head) {
        if (head > peerHead) {
            peerHead = head;
        }
    }
}
