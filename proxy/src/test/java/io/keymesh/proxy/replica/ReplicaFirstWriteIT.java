package io.keymesh.proxy.replica;

import io.keymesh.proxy.mesh.Await;
import io.keymesh.proxy.mesh.MeshFixture;
import io.keymesh.proxy.mesh.MeshNode;
import io.keymesh.proxy.mesh.MeshTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first write of an origin a replica's upstream has not logged before reaches the replica as
 * promptly as later writes: a primary's very first SET (its own log did not exist when the replica
 * linked) and the other primary's first SET (relayed through the upstream's peer link) are both read
 * on the replica within {@link #PROMPT}, where a periodic scan for new origins held them back for up
 * to half a second.
 */
class ReplicaFirstWriteIT extends MeshTest {
    /** Far above loopback replication lag, well below the half second of an origin scan. */
    private static final Duration PROMPT = Duration.ofMillis(250);
    private static final Duration LINK_UP = Duration.ofSeconds(20);

    @Test
    void firstWritesOfNewOriginsReachTheReplicaAsPromptlyAsLaterOnes() {
        mesh = MeshFixture.builder().nodes(2).replicas(1).stopped(2)
                .setting(2, "keymesh.replica.prefer-first", true)
                .start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        MeshNode replica = mesh.replica(0);
        Await.until(LINK_UP, "A and B linked", () -> "1".equals(a.info("replication").get("mesh_peers_connected"))
                && "1".equals(b.info("replication").get("mesh_peers_connected")), () -> a.sync().info("replication"));

        mesh.start(replica);
        Await.until(LINK_UP, "the replica streams from A", () -> {
            Map<String, String> info = replica.info("replication");
            return "up".equals(info.get("master_link_status")) && Objects.equals(a.nodeId(), info.get("keymesh_upstream_id"));
        }, () -> replica.sync().info("replication"));

        long own = millisUntilReplicated(a, replica, "first:a", "A's first write");
        long relayed = millisUntilReplicated(b, replica, "first:b", "B's first write");
        long later = millisUntilReplicated(a, replica, "second:a", "A's second write");
        assertTrue(own < PROMPT.toMillis() && relayed < PROMPT.toMillis(),
                "first writes of a new origin took " + own + " ms (A's own) and " + relayed
                        + " ms (B's, through A); a later write took " + later + " ms");
    }

    /** SETs {@code key} on {@code primary} and polls GET on {@code replica} until it is there; the elapsed ms. */
    private static long millisUntilReplicated(MeshNode primary, MeshNode replica, String key, String what) {
        primary.sync().set(key, what);
        long start = System.nanoTime();
        long deadline = start + Duration.ofSeconds(10).toNanos();
        while (!what.equals(replica.sync().get(key))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " did not reach the replica within 10 s: "
                        + replica.sync().info("replication"));
            }
            Thread.onSpinWait();
        }
        return (System.nanoTime() - start) / 1_000_000;
    }
}
