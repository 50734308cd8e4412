package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

/**
 * Relaying through a partial mesh: with A–C cut and A–B, B–C up, A's writes reach C through B, and
 * no origin's entries cross a link twice (measured in the bytes each link's relay forwarded); in a
 * connected mesh nothing is relayed.
 */
class RelayIT extends MeshTest {
    private static final int WRITES = 2000;
    private static final int VALUE_BYTES = 1024;
    /** Bytes a link may carry per value byte of the writes it relays: keys, stamps, framing, acks. */
    private static final double LINK_OVERHEAD_MAX = 1.5;
    /** Bytes a link may carry per value byte of writes it must not carry: heartbeats and acks only. */
    private static final double IDLE_LINK_MAX = 0.1;
    /**
     * In a connected mesh a link may relay a little of another origin when its puller lags on it
     * for two heartbeats (a loaded test machine); relaying all of it would cost 1.0 or more.
     */
    private static final double RELAY_SLACK = 0.25;

    @Test
    void writesOfACutOffNodeReachItThroughAThirdAndCrossEachLinkOnce() {
        mesh = MeshFixture.start(3);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        MeshNode c = mesh.node(2);
        a.sync().set("before", "cut");
        c.sync().set("from-c", "before");
        mesh.awaitConverged(CONVERGE);
        mesh.cut(a, c);

        CuttableRelay bFromA = mesh.relay(b, a);
        CuttableRelay cFromB = mesh.relay(c, b);
        CuttableRelay aFromB = mesh.relay(a, b);
        CuttableRelay bFromC = mesh.relay(b, c);
        long[] before = {bFromA.bytesForwarded(), cFromB.bytesForwarded(), aFromB.bytesForwarded(),
                bFromC.bytesForwarded()};

        char[] fill = new char[VALUE_BYTES];
        Arrays.fill(fill, 'v');
        String value = new String(fill);
        for (int i = 0; i < WRITES; i++) {
            a.sync().set("a:" + i, value);
        }
        c.sync().set("from-c", "during the cut");
        Await.value(CONVERGE, c, "a:" + (WRITES - 1), value);
        Await.value(CONVERGE, a, "from-c", "during the cut");
        mesh.awaitConverged(CONVERGE);
        assertEquals(value, c.sync().get("a:0"), "A's first write reached C through B");

        long written = (long) WRITES * VALUE_BYTES;
        long aToB = bFromA.bytesForwarded() - before[0];
        long bToC = cFromB.bytesForwarded() - before[1];
        long bToA = aFromB.bytesForwarded() - before[2];
        long cToB = bFromC.bytesForwarded() - before[3];
        String measured = String.format("written %d value bytes; link bytes A->B %d, B->C %d, B->A %d, C->B %d",
                written, aToB, bToC, bToA, cToB);
        System.out.println("RelayIT: " + measured);
        assertTrue(aToB >= written && aToB <= LINK_OVERHEAD_MAX * written, "A's entries cross A->B once: " + measured);
        assertTrue(bToC >= written && bToC <= LINK_OVERHEAD_MAX * written, "A's entries cross B->C once: " + measured);
        assertTrue(bToA <= IDLE_LINK_MAX * written, "no echo of A's entries back to A: " + measured);
        assertTrue(cToB <= IDLE_LINK_MAX * written, "C does not relay A's entries back to B: " + measured);
    }

    @Test
    void aConnectedMeshCarriesEachOriginByItsDirectLinksOnly() {
        mesh = MeshFixture.start(3);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        MeshNode c = mesh.node(2);
        a.sync().set("warm", "up");
        mesh.awaitConverged(CONVERGE);
        CuttableRelay cFromB = mesh.relay(c, b);
        CuttableRelay bFromC = mesh.relay(b, c);
        long[] before = {cFromB.bytesForwarded(), bFromC.bytesForwarded()};

        String value = "v".repeat(VALUE_BYTES);
        for (int i = 0; i < WRITES; i++) {
            a.sync().set("a:" + i, value);
        }
        Await.value(CONVERGE, b, "a:" + (WRITES - 1), value);
        Await.value(CONVERGE, c, "a:" + (WRITES - 1), value);
        mesh.awaitConverged(CONVERGE);

        long written = (long) WRITES * VALUE_BYTES;
        long bToC = cFromB.bytesForwarded() - before[0];
        long cToB = bFromC.bytesForwarded() - before[1];
        String measured = String.format("written %d value bytes on A; link bytes B->C %d, C->B %d", written, bToC, cToB);
        System.out.println("RelayIT: " + measured);
        // B and C each get A's writes from A; a relay between them would carry them a second time
        assertTrue(bToC <= RELAY_SLACK * written && cToB <= RELAY_SLACK * written,
                "A's entries are not relayed between B and C while both reach A: " + measured);
    }
}
