package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.topology.link.LinkRuntime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Links share a node's threads: a primary that pulls from three peers and serves them and four
 * replicas runs the same threads as when it stood alone, while data flows every way.
 */
class LinkThreadsIT extends MeshTest {
    private static final int PRIMARIES = 4;
    private static final int REPLICAS = 4;

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
