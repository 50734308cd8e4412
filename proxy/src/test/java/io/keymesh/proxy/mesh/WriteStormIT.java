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
}
