package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** A redis-benchmark write storm on one node: the attached peer ends with the same keys, values and TTLs, and the link never starts over. */
class WriteStormIT extends MeshTest {

    @Test
    void writeStormOnOneNodeLeavesBothNodesIdenticalWithoutResyncLoop() throws Exception {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("ready", "1");
        Await.value(CONVERGE, b, "ready", "1");
        long linkConnections = mesh.relay(b, a).connectionsAccepted();

        List<String> command = new ArrayList<>(List.of("redis-benchmark"));
        command.addAll(a.cliAddress());
        command.addAll(List.of("-t", "set", "-d", "512", "-r", "1000000", "-n", "500000", "-q"));
        String output = mesh.run(Duration.ofMinutes(5), command);
        assertTrue(output.contains("SET"), output);

        ContentDigest after = mesh.awaitConverged(Duration.ofMinutes(3));
        assertTrue(after.size() > 300_000, "redis-benchmark wrote ~390k distinct keys, digest has " + after.size());
        assertEquals(linkConnections, mesh.relay(b, a).connectionsAccepted(),
                "B's link to A stayed up through the storm (no reconnect loop)");
        assertEquals(0, ReplicationInfo.of(a).snapshotResyncs() + ReplicationInfo.of(b).snapshotResyncs(),
                "no snapshot resync:\n" + ReplicationInfo.of(b).text());
    }

    /**
     * The CI size of bench/link-bench.sh's storm-8k: 8 KiB values pipelined as fast as a client can,
     * five times A's log retention bytes. B keeps streaming (A holds its log for it rather than trim it
     * beneath it), catches up within 10 s of the last write, and the link carries about the values.
     */
    @Test
    void aStormOfLargeValuesPastTheLogRetentionEndsCaughtUpByTheLogAlone() throws Exception {
        mesh = MeshFixture.builder().nodes(2).setting("keymesh.replication.log-retention-bytes", "32m").start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("ready", "1");
        Await.value(CONVERGE, b, "ready", "1");
        long linkConnections = mesh.relay(b, a).connectionsAccepted();
        long receivedBefore = Long.parseLong(b.info("replication").get("mesh_bytes_received"));

        int writes = 20_000;
        int valueBytes = 8192;
        List<String> command = new ArrayList<>(List.of("redis-benchmark"));
        command.addAll(a.cliAddress());
        command.addAll(List.of("-t", "set", "-d", Integer.toString(valueBytes), "-r", "10000", "-n",
                Integer.toString(writes), "-P", "16", "-q"));
        String output = mesh.run(Duration.ofMinutes(5), command);
        assertTrue(output.contains("SET"), output);
        long lastWrite = System.nanoTime();
        a.sync().set("marker", "done");
        Await.value(Duration.ofSeconds(10), b, "marker", "done");
        long caughtUpMillis = (System.nanoTime() - lastWrite) / 1_000_000;

        long received = Long.parseLong(b.info("replication").get("mesh_bytes_received")) - receivedBefore;
        double perValueByte = (double) received / ((long) writes * valueBytes);
        assertEquals(0, ReplicationInfo.of(b).snapshotResyncs(), "no snapshot resync:\n" + ReplicationInfo.of(b).text());
        assertEquals(linkConnections, mesh.relay(b, a).connectionsAccepted(), "B's link to A stayed up");
        assertTrue(perValueByte <= 1.3, "link bytes per value byte " + perValueByte + " (caught up in " + caughtUpMillis + " ms)");
        mesh.awaitConverged(CONVERGE);
    }

    @Test
    void aWholeKeyWriteOfALargeHashReachesThePeerWithoutTheLinkStartingOver() throws Exception {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        int fields = 100_000;
        io.lettuce.core.api.async.RedisAsyncCommands<String, String> async = a.connect().async();
        List<io.lettuce.core.RedisFuture<Boolean>> sent = new ArrayList<>();
        String value = "v".repeat(100);
        for (int i = 0; i < fields; i++) {
            sent.add(async.hset("big", "f" + i, value));
        }
        for (io.lettuce.core.RedisFuture<Boolean> f : sent) {
            f.get();
        }
        Await.until(CONVERGE, "B has the hash", () -> b.sync().hlen("big") == fields, () -> "B has " + b.sync().hlen("big"));
        long linkConnections = mesh.relay(b, a).connectionsAccepted();

        // RENAME ships the whole 10 MB hash as one entry (a whole-key register)
        assertEquals("OK", a.sync().rename("big", "big2"));
        Await.until(CONVERGE, "B applies the renamed hash", () -> b.sync().hlen("big2") == fields,
                () -> "B has " + b.sync().hlen("big2") + ":\n" + ReplicationInfo.of(b).text());
        assertEquals(0, b.sync().exists("big"));
        mesh.awaitConverged(CONVERGE);
        assertEquals(linkConnections, mesh.relay(b, a).connectionsAccepted(), "B's link to A stayed up");
        assertEquals(0, ReplicationInfo.of(b).snapshotResyncs(), "no snapshot resync:\n" + ReplicationInfo.of(b).text());
    }
}
