package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;

import io.keymesh.proxy.it.RespSocket;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Two primaries; a script runs on B's redis-server past busy-reply-threshold while A takes writes.
 * B's link from A gets -BUSY for its applies and waits, saying so in INFO replication
 * ({@code waiting=backend busy}), and A's link from B keeps hearing B's heartbeats: neither link
 * reconnects, longer than the 10 s link timeout. Once the script is killed, B has every write of A
 * exactly once (counters count each increment once, digests equal) and no link went through a
 * snapshot resync.
 */
class BusyBackendIT extends MeshTest {
    private static final int WRITES = 300;
    /** Longer than the links' 10 s timeout: a link that stopped hearing its peer would have dropped. */
    private static final Duration HOLD = Duration.ofSeconds(12);

    @Test
    void writesReachABusyNodeExactlyOnceAfterTheKillAndNoLinkDropsMeanwhile() throws Exception {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("ready", "1");
        Await.value(CONVERGE, b, "ready", "1");
        for (MeshNode node : mesh.nodes()) {
            Await.until(CONVERGE, node.name() + "'s link is streaming",
                    () -> node.info("replication").get("peer0").contains("state=streaming"),
                    () -> node.sync().info("replication"));
        }
        assertEquals("OK", b.sync().configSet("busy-reply-threshold", "100"));
        CuttableRelay bFromA = mesh.relay(b, a);
        CuttableRelay aFromB = mesh.relay(a, b);
        long bConnections = bFromA.connectionsAccepted();
        long aConnections = aFromB.connectionsAccepted();
        ReplicationInfo bBefore = ReplicationInfo.of(b);
        ReplicationInfo aBefore = ReplicationInfo.of(a);

        StatefulRedisConnection<String, String> runner = b.connect();
        long started = System.nanoTime();
        RedisFuture<Object> spinning = runner.async().eval("while true do end", ScriptOutputType.VALUE);
        // new clients, each with a short timeout: one that went on B's shared link right behind the
        // script waits for it (kept open, answered after the kill); past that, INFO answers "busy"
        List<RespSocket> queued = new ArrayList<>();
        Await.until(Duration.ofSeconds(10), "B's INFO says its backend is busy",
                () -> infoOfNewClient(b, queued).contains("backend_status:busy"), () -> queued.size() + " waiting");

        for (int i = 0; i < WRITES; i++) {
            a.sync().incr("count");
            a.sync().hincrby("hash", "field", 1);
            a.sync().set("key:" + i, "v" + i);
        }
        Await.until(Duration.ofSeconds(10), "B's link from A waits for its busy backend, as INFO replication says",
                () -> b.info("replication").get("peer0").contains("waiting=backend busy"),
                () -> b.sync().info("replication"));
        while (System.nanoTime() - started < HOLD.toNanos()) {
            assertTrue(b.info("replication").get("peer0").contains("state=streaming"), b.sync().info("replication"));
            assertTrue(a.info("replication").get("peer0").contains("state=streaming"), a.sync().info("replication"));
            Await.sleep(200);
        }

        assertEquals("OK", b.sync().scriptKill());
        ExecutionException killed = assertThrows(ExecutionException.class, () -> spinning.get(5, TimeUnit.SECONDS));
        assertTrue(killed.getCause().getMessage().contains("killed by user"), killed.getCause().getMessage());

        ContentDigest common = mesh.awaitConverged(CONVERGE);
        assertEquals(Integer.toString(WRITES), b.sync().get("count"), "each INCR of A counted once on B");
        assertEquals(Integer.toString(WRITES), b.sync().hget("hash", "field"), "each HINCRBY of A counted once on B");
        assertEquals(WRITES + 3, common.size(), common.summary());
        Await.until(Duration.ofSeconds(10), "B's link from A no longer waits",
                () -> b.info("replication").get("peer0").contains("waiting=,"), () -> b.sync().info("replication"));

        for (RespSocket waiting : queued) {
            assertTrue(waiting.timeout(Duration.ofSeconds(5)).read().toString().contains("backend_status:up"));
            waiting.close();
        }
        // a script's reply nested deeper than 4096 passes through a replicating node, and its link stays up
        try (RespSocket deep = new RespSocket(b.port(), Duration.ofSeconds(10))) {
            String reply = deep.send("EVAL", "local t = {7} for i = 1, 10000 do t = {t} end return t", "0")
                    .send("GET", "key:0").readRawFrame();
            assertTrue(reply.startsWith("*1\r\n*1\r\n".repeat(2049)), reply.substring(0, Math.min(80, reply.length())));
            assertEquals("v0", deep.read());
        }

        assertEquals(bConnections, bFromA.connectionsAccepted(), "B's link from A never reconnected");
        assertEquals(aConnections, aFromB.connectionsAccepted(), "A's link from B never reconnected");
        ReplicationInfo bAfter = ReplicationInfo.of(b);
        ReplicationInfo aAfter = ReplicationInfo.of(a);
        assertEquals(bBefore.partialResyncs(), bAfter.partialResyncs(), bAfter.text());
        assertEquals(aBefore.partialResyncs(), aAfter.partialResyncs(), aAfter.text());
        assertEquals(0, bAfter.snapshotResyncs() - bBefore.snapshotResyncs(), bAfter.text());
        assertEquals(0, aAfter.snapshotResyncs() - aBefore.snapshotResyncs(), aAfter.text());
    }

    @Test
    void aReplicaKeepsItsUpstreamWhileTheUpstreamRunsAScript() throws Exception {
        // a busy upstream answers -BUSY at once; 1 s (not the fixture's 200 ms) keeps a loaded machine's
        // slow replies from failing checks for another reason
        mesh = MeshFixture.builder().nodes(2).replicas(1).setting(2, "keymesh.health-check.timeout", "1s").start();
        MeshNode replica = mesh.replica(0);
        Await.until(CONVERGE, "the replica's link is up", () -> "up".equals(replica.info("replication").get("master_link_status")),
                () -> replica.sync().info("replication"));
        String upstreamId = replica.info("replication").get("keymesh_upstream_id");
        MeshNode upstream = mesh.primaries().stream().filter(p -> p.nodeId().equals(upstreamId)).findFirst().orElseThrow();
        assertEquals("OK", upstream.sync().configSet("busy-reply-threshold", "100"));
        String switches = replica.info("replication").get("upstream_switches");

        StatefulRedisConnection<String, String> runner = upstream.connect();
        long started = System.nanoTime();
        RedisFuture<Object> spinning = runner.async().eval("while true do end", ScriptOutputType.VALUE);
        List<RespSocket> queued = new ArrayList<>();
        Await.until(Duration.ofSeconds(10), "the upstream's INFO says its backend is busy",
                () -> infoOfNewClient(upstream, queued).contains("backend_status:busy"), () -> queued.size() + " waiting");
        Await.until(Duration.ofSeconds(10), "the replica's health check of its busy upstream passes",
                () -> {
                    java.util.Map<String, String> info = replica.info("replication");
                    return info.values().stream().anyMatch(line -> line.startsWith("addr=" + info.get("keymesh_upstream") + ",")
                            && line.contains("health=up,last_check=BUSY"));
                },
                () -> replica.sync().info("replication"));
        // health checks every 200 ms, down after 3 failures: 5 s is 25 checks of a busy upstream
        while (System.nanoTime() - started < TimeUnit.SECONDS.toNanos(5)) {
            java.util.Map<String, String> info = replica.info("replication");
            assertEquals(switches, info.get("upstream_switches"), info.toString());
            assertEquals(upstreamId, info.get("keymesh_upstream_id"), info.toString());
            assertEquals("up", info.get("master_link_status"), info.toString());
            Await.sleep(200);
        }
        assertEquals("OK", upstream.sync().scriptKill());
        assertThrows(ExecutionException.class, () -> spinning.get(5, TimeUnit.SECONDS));
        upstream.sync().set("after:kill", "1");
        Await.value(CONVERGE, replica, "after:kill", "1");
        assertEquals(switches, replica.info("replication").get("upstream_switches"));
        for (RespSocket waiting : queued) {
            assertTrue(waiting.timeout(Duration.ofSeconds(5)).read().toString().contains("backend_status:up"));
            waiting.close();
        }
    }

    /** INFO keymesh of a new client of {@code node}; "" when it got no reply within 700 ms (then kept in {@code queued}). */
    private static String infoOfNewClient(MeshNode node, List<RespSocket> queued) {
        try {
            RespSocket probe = new RespSocket(node.port(), Duration.ofMillis(700));
            probe.send("INFO", "keymesh");
            try {
                String reply = String.valueOf(probe.read());
                probe.close();
                return reply;
            } catch (SocketTimeoutException e) {
                queued.add(probe);
                return "";
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
