package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * A replica whose only path to its upstream is slow and full: its health checks, on connections of
 * their own over that path, get no answer, while its link over the same path streams a snapshot.
 * The replica keeps its upstream and loads the snapshot once; once the link falls silent as well,
 * the same timed-out checks take the upstream down.
 */
class SlowUpstreamPathIT extends MeshTest {
    /** Keys of ~10 KB: 3 MB, more than A keeps of its log, so the replica gets them by snapshot. */
    private static final int KEYS = 300;

    @Test
    void aReplicaWhoseChecksWaitBehindItsStreamingLinkKeepsItsUpstream() throws Exception {
        int http = NodeMetrics.freePort();
        mesh = MeshFixture.builder().nodes(1).replicas(1).stopped(1)
                .setting("keymesh.replication.log-retention-bytes", "1m").setting(0, "keymesh.http.port", http)
                .setting(1, "keymesh.health-check.timeout", "1s").start();
        MeshNode a = mesh.node(0);
        MeshNode r = mesh.replica(0);
        Random random = new Random(23);
        String value = "";
        for (int i = 0; i < KEYS; i++) {
            value = randomText(random, 10_000);
            a.sync().set("key:" + i, value);
        }
        Await.until(CONVERGE, "A trims its log past its first entry",
                () -> NodeMetrics.sample(http, "keymesh_log_first_seq") > 1, () -> NodeMetrics.text(http));
        CuttableRelay path = mesh.relay(r, a);
        path.targetReceiveBuffer(64 * 1024);
        path.throttle(150_000);                      // ~20 s for the snapshot
        mesh.start(r);
        Await.until(CONVERGE, "the replica loads A's snapshot", () -> {
            Map<String, String> info = r.info("replication");
            return "1".equals(info.get("master_sync_in_progress")) && Long.parseLong(info.get("keymesh_sync_keys_done")) > 0;
        }, () -> r.sync().info("replication"));

        path.holdNewConnections();                   // every check from now on gets no answer
        int fall = MeshFixture.HEALTH_FALL;
        Await.until(CONVERGE, "more checks than fall (" + fall + ") went unanswered", () -> path.connectionsHeld() > fall + 1,
                () -> "held " + path.connectionsHeld());
        Map<String, String> during = r.info("replication");
        assertEquals("1", during.get("master_sync_in_progress"), "the snapshot was still loading:\n" + during);
        String health = during.get("upstream0");
        assertTrue(health.contains("health=up") && health.contains("no reply within")
                && health.contains("the link from it streams"), "A stays up, and the check says why: " + health);

        path.releaseHeld();
        path.throttle(0);
        Await.value(CONVERGE, r, "key:" + (KEYS - 1), value);
        Await.until(CONVERGE, "the load ended", () -> "0".equals(r.info("replication").get("master_sync_in_progress")),
                () -> r.sync().info("replication"));
        Map<String, String> after = r.info("replication");
        assertEquals("1", after.get("upstream_full_resyncs"), "one snapshot, never restarted:\n" + after);
        assertEquals("0", after.get("upstream_switches"), "the replica kept its upstream:\n" + after);
        assertEquals("0", after.get("upstream_partial_resyncs"), "the link was never opened again:\n" + after);
        assertEquals(String.valueOf(KEYS), r.sync().dbsize().toString(), "the replica holds A's keys");

        path.holdNewConnections();
        mesh.stop(a);                                // the link falls silent: the same checks now fail
        Await.until(CONVERGE, "A goes down", () -> r.info("replication").get("upstream0").contains("health=down"),
                () -> r.sync().info("replication"));
        assertTrue(r.info("replication").get("upstream0").contains("last_check=no reply within"),
                r.sync().info("replication"));
    }

    /** {@code length} random letters. */
    private static String randomText(Random random, int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = (char) ('a' + random.nextInt(26));
        }
        return new String(out);
    }
}
