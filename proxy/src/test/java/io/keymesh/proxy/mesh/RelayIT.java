package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

/**
 * Relaying through a partial mesh: with A–C cut and A–B, B–C up, A's writes reach C through B, and
 * no origin's entries cross a link twice (measured in the bytes each link's relay forwarded).
 */
class RelayIT extends MeshTest {
    private static final int WRITES = 2000;
    private static final int VALUE_BYTES = 1024;
    /** Bytes a link may carry per value byte of the writes it relays: keys, stamps, framing, acks. */
    private static final double LINK_OVERHEAD_MAX = 1.5;
    /** Bytes a link may carry per value byte of writes it must not carry: heartbeats and acks only. */
    private static final double IDLE_LINK_MAX = 0.1;

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
}
