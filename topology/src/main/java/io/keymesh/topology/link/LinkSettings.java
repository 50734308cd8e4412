package io.keymesh.topology.link;

/**
 * Tuning of links: batch bounds, heartbeat and timeout, reconnect backoff, tail polling, and how
 * long a sender lets a busy log fill the next batch ({@code busyLingerMicros}, see {@link #lingerNanosAfter}).
 * {@link #defaults()} is what a node uses unless configured otherwise.
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
        long busyLingerMicros) {

    /**
     * A read of a log that found at least this many new entries (but not a full batch) means the log
     * is busy.
     */
    static final int BUSY_ENTRIES = 8;

    /**
     * How long a sender waits before its next read after a batch of {@code entries}: {@code
     * busyLingerMicros} when the log is busy, so that the next batch carries more entries (fewer,
     * larger batches cost the sender, the receiver's km_r and both backends less per entry), else 0:
     * a quiet log (a few entries at a time) or one that fills whole batches is never delayed.
     */
    long lingerNanosAfter(int entries) {
        return entries >= BUSY_ENTRIES && entries < batchEntriesMax ? busyLingerMicros * 1000 : 0;
    }

    public static LinkSettings defaults() {
        return new LinkSettings(512, 256 * 1024, 1000, 10_000, 100, 5000, 100, 5000, 1000);
    }

    /** The same with other reconnect backoff bounds. */
    public LinkSettings withReconnect(long minMillis, long maxMillis) {
        return new LinkSettings(batchEntriesMax, batchBytesMax, heartbeatMillis, linkTimeoutMillis, minMillis, maxMillis,
                tailBlockMillis, connectTimeoutMillis, busyLingerMicros);
    }
}
