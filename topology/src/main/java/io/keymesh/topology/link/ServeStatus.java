package io.keymesh.topology.link;

import java.util.concurrent.atomic.AtomicLong;

/** What INFO shows of one link a peer or replica pulls from this node (the sending side). Thread-safe. */
public final class ServeStatus {
    private final String peerId;
    private final String role;
    private final String address;
    private volatile String state = "starting";
    private volatile long sentSeq;
    private volatile long ackedSeq;
    private volatile long headSeq;
    private volatile long lastAckMillis;
    final AtomicLong bytesSent = new AtomicLong();
    final AtomicLong keysSent = new AtomicLong();
    final AtomicLong publishesDropped = new AtomicLong();

    public ServeStatus(String peerId, String role, String address) {
        this.peerId = peerId;
        this.role = role;
        this.address = address;
    }

    public String peerId() {
        return peerId;
    }

    public String role() {
        return role;
    }

    public String address() {
        return address;
    }

    /** starting, snapshot, streaming or closed. */
    public String state() {
        return state;
    }

    void state(String s) {
        state = s;
    }

    public long sentSeq() {
        return sentSeq;
    }

    void sent(long seq) {
        sentSeq = seq;
    }

    public long ackedSeq() {
        return ackedSeq;
    }

    void acked(long seq, long wallMillis) {
        lastAckMillis = wallMillis;
        if (seq > ackedSeq) {
            ackedSeq = seq;
        }
    }

    /** Wall millis of the last acknowledgement (or of the link's start). */
    public long lastAckMillis() {
        return lastAckMillis;
    }

    public long headSeq() {
        return headSeq;
    }

    void head(long seq) {
        headSeq = seq;
    }

    /** Entries of this node's log the peer has not acknowledged. */
    public long lagOps() {
        return Math.max(0, headSeq - ackedSeq);
    }

    public long bytesSent() {
        return bytesSent.get();
    }

    public long keysSent() {
        return keysSent.get();
    }

    public long publishesDropped() {
        return publishesDropped.get();
    }

    private volatile long acksIgnored;

    /** Acknowledgements ignored because they named an origin that neither the PULL named nor this node logs. */
    public long acksIgnored() {
        return acksIgnored;
    }

    void ackIgnored() {
        acksIgnored++;                  // written by the link's event loop alone
    }
}
