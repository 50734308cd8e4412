package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.topology.link.LinkRuntime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * Links share a node's threads: a primary that pulls from three peers and serves them and four
 * replicas runs the same threads as when it stood alone, while data flows every way, and while it
 * streams a snapshot.
 */
class LinkThreadsIT extends MeshTest {
    private static final int PRIMARIES = 4;
    private static final int REPLICAS = 4;
    /** Keys of ~10 KB a replica gets by snapshot. */
    private static final int SNAPSHOT_KEYS = 2000;

    @Test
    void aPrimaryLinkedToThreePeersAndFourReplicasRunsNoThreadPerLink() throws Exception {
        MeshFixture.Builder builder = MeshFixture.builder().nodes(PRIMARIES).replicas(REPLICAS).external(0);
        for (int i = 1; i < PRIMARIES + REPLICAS; i++) {
            builder.stopped(i);
        }
        for (int i = PRIMARIES; i < PRIMARIES + REPLICAS; i++) {
            builder.setting(i, "keymesh.replica.prefer-first", true);        // every replica follows A
        }
        mesh = builder.start();
        MeshNode a = mesh.node(0);
        a.sync().set("alone", "1");
        List<String> alone = keymeshThreads(a);

        for (int i = 1; i < PRIMARIES + REPLICAS; i++) {
            mesh.start(mesh.node(i));
        }
        Await.until(CONVERGE, "A pulls from 3 peers and serves them and 4 replicas", () -> {
            Map<String, String> info = a.info("replication");
            return "3".equals(info.get("mesh_peers_connected")) && "3".equals(info.get("mesh_peers_served"))
                    && "4".equals(info.get("connected_slaves"));
        }, () -> a.sync().info("replication"));
        for (MeshNode primary : mesh.primaries()) {
            primary.sync().set("from:" + primary.name(), primary.name());
        }
        for (MeshNode n : mesh.nodes()) {
            for (MeshNode primary : mesh.primaries()) {
                Await.value(CONVERGE, n, "from:" + primary.name(), primary.name());
            }
        }

        List<String> linked = keymeshThreads(a);
        System.out.println("LinkThreadsIT: A's keymesh threads alone " + alone.size() + ", with 10 links " + linked.size()
                + ": " + linked);
        for (String t : linked) {
            assertTrue(!t.startsWith("keymesh-pull") && !t.startsWith("keymesh-send"), "a thread of one link: " + t);
        }
        long linkThreads = linked.stream().filter(t -> t.startsWith("keymesh-link-")).count();
        assertTrue(linkThreads <= 2 + LinkRuntime.BACKEND_THREADS, "link threads: " + linked);
        Await.until(CONVERGE, "A runs as many keymesh threads with its 10 links as alone (" + alone + ")",
                () -> keymeshThreads(a).size() == alone.size(), () -> String.valueOf(keymeshThreads(a)));
        assertEquals(alone, keymeshThreads(a), "the same threads");
    }

    @Test
    void aSnapshotStreamsOnTheNodesOwnThreads() throws Exception {
        int http = NodeMetrics.freePort();
        mesh = MeshFixture.builder().nodes(1).replicas(1).external(0).stopped(1)
                .setting("keymesh.replication.log-retention-bytes", "1m").setting(0, "keymesh.http.port", http)
                .setting(1, "keymesh.health-check.timeout", "2s")   // checks are not what this looks at: load may slow them
                .start();
        MeshNode a = mesh.node(0);
        MeshNode r = mesh.replica(0);
        Random random = new Random(19);
        String value = "";
        for (int i = 0; i < SNAPSHOT_KEYS; i++) {      // 20 MB that do not compress: more than A keeps of its log
            value = randomText(random, 10_000);
            a.sync().set("key:" + i, value);
        }
        int port = http;
        Await.until(CONVERGE, "A trims its log past its first entry",
                () -> NodeMetrics.sample(port, "keymesh_log_first_seq") > 1, () -> NodeMetrics.text(port));
        List<String> alone = keymeshThreads(a);

        CuttableRelay toA = mesh.relay(r, a);
        toA.targetReceiveBuffer(64 * 1024);
        toA.throttle(15_000);                        // A sends for minutes: time to look at it meanwhile
        mesh.start(r);
        Await.until(CONVERGE, "the replica loads A's snapshot", () -> {
            String t = r.sync().info("replication");
            return t.contains("master_sync_in_progress:1") && infoNumber(t, "keymesh_sync_keys_done") > 0;
        }, () -> r.sync().info("replication"));
        assertTrue(a.sync().info("replication").contains(",state=wait_bgsave,"), "A sends a snapshot to its replica:\n"
                + a.sync().info("replication"));
        List<String> streaming = keymeshThreads(a);
        String info = r.sync().info("replication");
        System.out.println("LinkThreadsIT: A's keymesh threads alone " + alone + ", streaming a snapshot " + streaming);
        assertTrue(a.sync().info("replication").contains(",state=wait_bgsave,"), "A still sent the snapshot as its threads "
                + "were listed:\n" + a.sync().info("replication"));
        assertTrue(info.contains("master_sync_in_progress:1") && infoNumber(info, "keymesh_sync_keys_done") < SNAPSHOT_KEYS,
                "the replica still loaded it:\n" + info);
        assertEquals(SNAPSHOT_KEYS, infoNumber(info, "keymesh_sync_keys_total"), "A counted its keys:\n" + info);
        for (String t : streaming) {
            assertTrue(!t.startsWith("keymesh-snapshot"), "a thread of one snapshot: " + t);
        }
        assertEquals(alone, streaming, "A streams the snapshot on the threads it had alone");

        toA.throttle(0);
        Await.value(CONVERGE, r, "key:" + (SNAPSHOT_KEYS - 1), value);
        Await.until(CONVERGE, "the load ended", () -> r.sync().info("replication").contains("master_sync_in_progress:0"),
                () -> r.sync().info("replication"));
        mesh.awaitConverged(CONVERGE);
        assertEquals(String.valueOf(SNAPSHOT_KEYS), r.sync().dbsize().toString(), "the replica holds A's keys");
        assertEquals(SNAPSHOT_KEYS, NodeMetrics.sample(port, "keymesh_link_sent_keys_total"),
                "A sent each key once:\n" + NodeMetrics.text(port));
        assertEquals(SNAPSHOT_KEYS, infoNumber(r.sync().info("replication"), "keymesh_sync_keys_done"), "the replica merged each");
        assertEquals(alone, keymeshThreads(a), "the same threads after the snapshot");
    }

    /** The number on INFO's {@code name:} line (-1 when absent). */
    private static long infoNumber(String info, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + ":(-?\\d+)\\r?$").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** {@code length} random letters. */
    private static String randomText(Random random, int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = (char) ('a' + random.nextInt(26));
        }
        return new String(out);
    }

    /** The threads of {@code node}'s JVM that keymesh names, sorted. */
    private static List<String> keymeshThreads(MeshNode node) {
        try {
            return JvmThreads.of(node.pid()).stream().filter(t -> t.startsWith("keymesh-")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
