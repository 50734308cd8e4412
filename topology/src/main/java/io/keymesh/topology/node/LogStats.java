package io.keymesh.topology.node;

/**
 * One origin's replication log as the housekeeping last read it (every housekeeping interval), for
 * the metrics: its length and size, and the retention horizon (the oldest entry still kept: a peer
 * behind it needs a snapshot resync).
 *
 * @param entries           entries kept
 * @param bytes             memory the log takes in the backend (MEMORY USAGE)
 * @param firstSeq          sequence of the oldest entry kept (-1: empty)
 * @param headSeq           sequence of the newest entry logged
 * @param oldestEntryMillis wall millis of the oldest entry's stamp (0: empty or unknown)
 */
public record LogStats(long entries, long bytes, long firstSeq, long headSeq, long oldestEntryMillis) {
}
