package io.keymesh.topology.link;

import io.keymesh.topology.wire.LogEntry;

import java.util.List;

/**
 * Tuning of links: batch bounds, heartbeat and timeout, reconnect backoff, tail polling, and how
 * long a sender lets a busy log fill the next batch ({@code busyLingerMicros}, see {@link #lingerNanosAfter}).
 * {@code sockets} opens connections to other nodes (plain or TLS). {@link #defaults()} is what a node
 * uses unless configured otherwise.
 */
public record LinkSettings(
        int batchEntriesMax,
        int batchBytesMax,
        long heartbeatMillis,
        long linkTimeoutMillis,
        long reconnectMinMillis,
        long reconnectMaxMillis,
        long tailBlockMillis,
        int connectTimeoutMillis,
        long busyLingerMicros,
        LinkSockets sockets) {

    /**
     * A read of a log that found at least this many new writes (but not a full batch) means the log
     * is busy. Writes, not entries: plain SETs of one backend call share an entry.
     */
    static final int BUSY_WRITES = 8;

    /**
     * How long a sender waits before its next read after sending {@code batch}: {@code
     * busyLingerMicros} when the log is busy, so that the next batch carries more writes (fewer,
     * larger batches cost the sender, the receiver's apply and both backends less per write), else 0:
     * a quiet log (a few writes at a time) or one that fills whole batches is never delayed.
     */
    long lingerNanosAfter(List<LogEntry> batch) {
        int writes = 0;
        int bytes = 0;
        for (LogEntry e : batch) {
            writes += e.writes();
            bytes += e.sizeBytes();
        }
        boolean full = batch.size() >= batchEntriesMax || bytes >= batchBytesMax;
        return writes >= BUSY_WRITES && !full ? busyLingerMicros * 1000 : 0;
    }

    public static LinkSettings defaults() {
        return new LinkSettings(512, 256 * 1024, 1000, 10_000, 100, 5000, 100, 5000, 1000, LinkSockets.plain());
    }

    /** The same with other reconnect backoff bounds. */
    public LinkSettings withReconnect(long minMillis, long maxMillis) {
        return new LinkSettings(batchEntriesMax, batchBytesMax, heartbeatMillis, linkTimeoutMillis, minMillis, maxMillis,
                tailBlockMillis, connectTimeoutMillis, busyLingerMicros, sockets);
    }

    /** The same, opening connections with {@code other}. */
    public LinkSettings withSockets(LinkSockets other) {
        return new LinkSettings(batchEntriesMax, batchBytesMax, heartbeatMillis, linkTimeoutMillis, reconnectMinMillis,
                reconnectMaxMillis, tailBlockMillis, connectTimeoutMillis, busyLingerMicros, other);
    }
}
