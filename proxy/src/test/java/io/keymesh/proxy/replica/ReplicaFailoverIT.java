package io.keymesh.proxy.replica;

import io.keymesh.proxy.mesh.Await;
import io.keymesh.proxy.mesh.MeshFixture;
import io.keymesh.proxy.mesh.MeshNode;
import io.keymesh.proxy.mesh.MeshTest;
import io.lettuce.core.RedisException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two primaries and three read replicas: replicas follow the first primary, fail over to the
 * second within fall * inter + 2 s when it stops, with a partial resync (no snapshot), keep serving
 * while it is down and after it comes back, and the restarted primary converges with the survivor.
 */
class ReplicaFailoverIT extends MeshTest {
    private static final Duration LINK_UP = Duration.ofSeconds(20);
    private static final Duration REPLICATED = Duration.ofSeconds(5);

    @Test
    void replicasFailOverToTheSurvivingPrimaryWithoutFullResyncAndKeepServing() {
        mesh = MeshFixture.builder().nodes(2).replicas(3).start();
        MeshNode p1 = mesh.node(0);
        MeshNode p2 = mesh.node(1);
        List<MeshNode> reps = mesh.replicas();
        p1.sync().set("before:p1", "one");
        p2.sync().set("before:p2", "two");
        for (MeshNode r : reps) {
            Await.until(LINK_UP, r.name() + " linked with both writes", () -> "up".equals(r.info("replication").get("master_link_status"))
                    && "one".equals(r.sync().get("before:p1")) && "two".equals(r.sync().get("before:p2")),
                    () -> r.sync().info("replication"));
            Map<String, String> info = r.info("replication");
            assertEquals("slave", info.get("role"));
            assertEquals("1", info.get("slave_read_only"));
            assertEquals("slave", r.sync().role().get(0).toString());
            RedisException e = assertThrows(RedisException.class, () -> r.sync().set("x", "y"));
            assertEquals("READONLY You can't write against a read only replica.", e.getMessage());
        }
        // which primary a replica starts on depends on which check passed first; count each side
        List<Boolean> onFirst = new ArrayList<>();
        for (MeshNode r : reps) {
            onFirst.add(upstreamPort(r, p1).equals(r.info("replication").get("master_port")));
        }
        long followers = onFirst.stream().filter(b -> b).count();
        Await.until(REPLICATED, "primaries count their replicas",
                () -> String.valueOf(followers).equals(p1.info("replication").get("connected_slaves"))
                        && String.valueOf(3 - followers).equals(p2.info("replication").get("connected_slaves")),
                () -> p1.sync().info("replication") + p2.sync().info("replication"));
        Map<String, String> servingInfo = (followers > 0 ? p1 : p2).info("replication");
        assertTrue(servingInfo.get("slave0").matches("ip=127\\.0\\.0\\.1,port=\\d+,state=online,offset=\\d+,lag=\\d+"),
                servingInfo.toString());

        long stopped = System.nanoTime();
        mesh.stop(p1);
        long boundMillis = MeshFixture.HEALTH_FALL * MeshFixture.HEALTH_INTER_MILLIS + 2000;
        for (MeshNode r : reps) {
            long leftMillis = boundMillis - (System.nanoTime() - stopped) / 1_000_000;
            Await.until(Duration.ofMillis(Math.max(1, leftMillis)), r.name() + " follows primary2 within fall x inter + 2 s",
                    () -> {
                        Map<String, String> info = r.info("replication");
                        return "up".equals(info.get("master_link_status")) && upstreamPort(r, p2).equals(info.get("master_port"));
                    }, () -> r.sync().info("replication"));
        }
        p2.sync().set("after:p2", "three");
        for (MeshNode r : reps) {
            Await.value(REPLICATED, r, "after:p2", "three");
            assertEquals("one", r.sync().get("before:p1"));
            assertEquals("two", r.sync().get("before:p2"));
            Map<String, String> info = r.info("replication");
            assertEquals("0", info.get("upstream_full_resyncs"), info.toString());
        }
        for (int i = 0; i < reps.size(); i++) {
            assertEquals(onFirst.get(i) ? "1" : "0", reps.get(i).info("replication").get("upstream_switches"));
        }

        mesh.start(p1);
        Await.converged(LINK_UP, List.of(p1, p2));
        assertEquals("three", p1.sync().get("after:p2"));
        for (MeshNode r : reps) {
            assertEquals("three", r.sync().get("after:p2"));
            assertEquals(upstreamPort(r, p2), r.info("replication").get("master_port"));
        }
    }

    /** The port replica {@code r} reaches {@code primary} at: its relay to that primary. */
    private String upstreamPort(MeshNode r, MeshNode primary) {
        return String.valueOf(mesh.relay(r, primary).port());
    }

    @Test
    void forwardPolicyReadsItsOwnWriteAndLocalPolicyIsOverriddenByUpstreamDeletes() {
        mesh = MeshFixture.builder().nodes(1).replicas(2)
                .setting(1, "keymesh.replica.write-policy", "forward")
                .setting(2, "keymesh.replica.write-policy", "local")
                .start();
        MeshNode p = mesh.node(0);
        MeshNode fwd = mesh.replica(0);
        MeshNode loc = mesh.replica(1);
        for (MeshNode r : List.of(fwd, loc)) {
            Await.until(LINK_UP, r.name() + " linked", () -> "up".equals(r.info("replication").get("master_link_status")),
                    () -> r.sync().info("replication"));
        }
        for (int i = 0; i < 20; i++) {
            assertEquals("OK", fwd.sync().set("fwd:" + i, "v" + i));
            assertEquals("v" + i, fwd.sync().get("fwd:" + i), "read-your-write on the forwarding replica");
        }
        assertEquals(3L, fwd.sync().incrby("fwd:n", 3));
        assertEquals("3", fwd.sync().get("fwd:n"));
        assertEquals("v7", p.sync().get("fwd:7"), "the forwarded write was made at the primary");
        RedisException wrongType = assertThrows(RedisException.class, () -> fwd.sync().incr("fwd:1"));
        assertTrue(wrongType.getMessage().startsWith("ERR value is not an integer"), wrongType.getMessage());

        assertEquals("OK", loc.sync().set("region:k", "local value"));
        assertEquals("local value", loc.sync().get("region:k"));
        Await.sleep(300);
        assertNull(p.sync().get("region:k"), "a local write is never replicated");
        assertNull(fwd.sync().get("region:k"));
        p.sync().set("purge:k", "upstream");
        Await.value(REPLICATED, loc, "purge:k", "upstream");
        loc.sync().set("purge:k", "local override");
        assertEquals("local override", loc.sync().get("purge:k"));
        p.sync().del("purge:k");
        Await.value(REPLICATED, loc, "purge:k", null);
        p.sync().set("region:k", "from upstream");
        Await.value(REPLICATED, loc, "region:k", "from upstream");
    }

    @Test
    void serveStaleDataNoAnswersMasterdownWhileTheLinkIsDown() {
        mesh = MeshFixture.builder().nodes(1).replicas(1).setting(1, "keymesh.replica.serve-stale-data", false).start();
        MeshNode p = mesh.node(0);
        MeshNode strict = mesh.replica(0);
        Await.until(LINK_UP, "replica linked", () -> "up".equals(strict.info("replication").get("master_link_status")),
                () -> strict.sync().info("replication"));
        p.sync().set("shared:k", "v");
        Await.value(REPLICATED, strict, "shared:k", "v");
        mesh.stop(p);
        Await.until(REPLICATED, "link down", () -> "down".equals(strict.info("replication").get("master_link_status")),
                () -> strict.sync().info("replication"));
        RedisException e = assertThrows(RedisException.class, () -> strict.sync().get("shared:k"));
        assertEquals("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", e.getMessage());
        assertEquals("PONG", strict.sync().ping());
    }
}
