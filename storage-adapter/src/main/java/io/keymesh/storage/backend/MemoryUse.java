package io.keymesh.storage.backend;

/**
 * The backend's memory as keymesh.maxmemory sees it: what the redis-server uses in all, how much of it
 * is keymesh's merge metadata and replication log (estimates), and the limit of the rest, user data.
 *
 * @param usedBytes     the redis-server's used_memory
 * @param metadataBytes keymesh's merge metadata (the metadata databases), estimated
 * @param logBytes      keymesh's replication log and node state (the log database), estimated
 * @param limitBytes    keymesh.maxmemory, 0 for no limit
 */
public record MemoryUse(long usedBytes, long metadataBytes, long logBytes, long limitBytes) {
    /** Nothing measured yet: never over the limit. */
    public static MemoryUse unmeasured(long limitBytes) {
        return new MemoryUse(0, 0, 0, limitBytes);
    }

    /** User data: used memory less keymesh's metadata and log (the redis-server's own overhead counts as user data). */
    public long userBytes() {
        return Math.max(0, usedBytes - metadataBytes - logBytes);
    }

    /** True when a limit is set and user data is over it: client commands Redis flags denyoom get -OOM. */
    public boolean over() {
        return limitBytes > 0 && userBytes() > limitBytes;
    }
}
