package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.StatefulRedisConnection;

import org.junit.jupiter.api.Test;

/**
 * What each node keeps of the replication logs (docs/design/replication.md, "Log retention"): its
 * own log until its peers have it, another origin's log only while a replica may pull it from there.
 */
class LogRetentionIT extends MeshTest {
    private static final int LOG_DB = 2 * MeshFixture.DATABASES;

    @Test
    void aNodeWithoutReplicasKeepsOnlyTheNewestEntryOfAnotherOriginsLogOnceApplied() {
        // before, B kept every entry of A's log for an hour or 512 MB though no one pulls it from B
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        String value = "x".repeat(1000);
        for (int i = 0; i < 2000; i++) {
            a.sync().set("k" + i, value);
        }
        mesh.awaitConverged(CONVERGE);
        String logOfA = "km:log:" + a.nodeId();
        Await.until(CONVERGE, "B trimmed A's log, which no replica pulls from B", () -> xlen(b, logOfA) == 1,
                () -> "XLEN of A's log on B: " + xlen(b, logOfA));
        Await.until(CONVERGE, "A trimmed its own log, which B acknowledged", () -> xlen(a, logOfA) == 1,
                () -> "XLEN of A's log on A: " + xlen(a, logOfA));
        assertEquals(value, b.sync().get("k1999"));
        long memoryA = usedMemory(a);
        long memoryB = usedMemory(b);
        assertTrue(memoryB < memoryA * 3 / 2, "B holds about what A holds: A " + memoryA + ", B " + memoryB);
    }

    @Test
    void aStreamingPeerHoldsTheOwnLogPastItsRetentionBytesInsteadOfBeingDropped() {
        // A's log keeps 1 MB, but B, connected and reading (slowly: its link is throttled), holds it
        writeThroughThrottledLink(400_000, 3000, 1000);     // 3 MB: three times the retention, within the hard cap (4x)
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        Await.until(CONVERGE, "A says whom it holds its log for", () -> a.info("replication").get("mesh_log_held_for")
                .equals(b.nodeId()), () -> a.sync().info("replication"));
        mesh.relay(b, a).throttle(0);
        mesh.awaitConverged(CONVERGE);
        assertEquals(0, ReplicationInfo.of(b).snapshotResyncs(), "B caught up from the log:\n" + ReplicationInfo.of(b).text());
        Await.until(CONVERGE, "the hold ends once B caught up", () -> a.info("replication").get("mesh_log_held_for").isEmpty(),
                () -> a.sync().info("replication"));
    }

    @Test
    void aStreamingPeerWhoseLogPassedTheHardCapIsClosedAndResyncsBySnapshot() {
        // A's log keeps 1 MB, held up to 4 MB for B, which reads slowly; 24 MB written (more than
        // the socket buffers on the way hold) trim it past where A's sender stands while B's link
        // streams: the sender must close the link so that B resyncs by snapshot
        String value = writeThroughThrottledLink(200_000, 6000, 4000);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        Await.until(CONVERGE, "A trimmed its log past its hard cap", () -> xlen(a, "km:log:" + a.nodeId()) < 3000,
                () -> "XLEN of A's log on A: " + xlen(a, "km:log:" + a.nodeId()));
        mesh.relay(b, a).throttle(0);
        mesh.awaitConverged(CONVERGE);
        assertEquals(value, b.sync().get("k5999"));
        assertTrue(ReplicationInfo.of(b).snapshotResyncs() >= 1, "B resynced by snapshot:\n" + ReplicationInfo.of(b).text());
    }

    /**
     * Starts A and B with A's log kept to 1 MB, caps B's link from A at {@code bytesPerSecond}, then
     * SETs {@code keys} keys k0.. on A to values of {@code valueBytes} bytes; returns the value.
     */
    private String writeThroughThrottledLink(long bytesPerSecond, int keys, int valueBytes) {
        mesh = MeshFixture.builder().nodes(2).setting("keymesh.replication.log-retention-bytes", "1m").start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("warm", "up");
        Await.value(CONVERGE, b, "warm", "up");
        mesh.relay(b, a).throttle(bytesPerSecond);
        String value = "x".repeat(valueBytes);
        for (int i = 0; i < keys; i++) {
            a.sync().set("k" + i, value);
        }
        return value;
    }

    private static long xlen(MeshNode node, String key) {
        try (StatefulRedisConnection<String, String> backend = node.connectBackend()) {
            backend.sync().select(LOG_DB);
            return backend.sync().xlen(key);
        }
    }

    private static long usedMemory(MeshNode node) {
        try (StatefulRedisConnection<String, String> backend = node.connectBackend()) {
            for (String line : backend.sync().info("memory").split("\r?\n")) {
                if (line.startsWith("used_memory:")) {
                    return Long.parseLong(line.substring("used_memory:".length()).trim());
                }
            }
            throw new AssertionError("no used_memory in INFO memory");
        }
    }
}
