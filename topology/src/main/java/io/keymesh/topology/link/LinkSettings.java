package io.keymesh.topology.link;

/**
 * Tuning of links: batch bounds, heartbeat and timeout, reconnect backoff, tail polling, and how
 * long a sender lets a busy log fill the next batch ({@code busyLingerMicros}, see {@link LogSender}).
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

    public static LinkSettings defaults() {
        return new LinkSettings(512, 256 * 1024, 1000, 10_000, 100, 5000, 100, 5000, 1000);
    }

    /** The same with other reconnect backoff bounds. */
    public LinkSettings withReconnect(long minMillis, long maxMillis) {
        return new LinkSettings(batchEntriesMax, batchBytesMax, heartbeatMillis, linkTimeoutMillis, minMillis, maxMillis,
                tailBlockMillis, connectTimeoutMillis, busyLingerMicros);
    }
}
