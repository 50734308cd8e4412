package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.SetArgs;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** Expiry is an absolute time replicated to every node: a key set to expire on one node is gone everywhere. */
class ExpiryIT extends MeshTest {

    @Test
    void pexpireAndSetPxOnOneNodeExpireTheKeyOnAllNodes() {
        mesh = MeshFixture.start(3);
        MeshNode a = mesh.node(0);
        a.sync().set("by-pexpire", "v");
        a.sync().set("by-set-px", "v", SetArgs.Builder.px(3000));
        assertTrue(a.sync().pexpire("by-pexpire", 3000));
        for (MeshNode n : mesh.nodes()) {
            Await.value(CONVERGE, n, "by-set-px", "v");
            long pttl = n.sync().pttl("by-pexpire");
            assertTrue(pttl > 0 && pttl <= 3000, n.name() + " PTTL " + pttl);
        }
        for (MeshNode n : mesh.nodes()) {
            Await.until(Duration.ofSeconds(10), "both keys expired on " + n.name(),
                    () -> n.sync().exists("by-pexpire", "by-set-px") == 0, () -> String.valueOf(n.sync().keys("*")));
        }
        mesh.awaitConverged(CONVERGE);
    }

    @Test
    void keyExpiredWhileAPeerWasDownStaysGone() {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("k", "v");
        a.sync().set("stays", "v");
        Await.value(CONVERGE, b, "k", "v");
        Await.value(CONVERGE, b, "stays", "v");
        mesh.stop(b);
        assertTrue(a.sync().pexpire("k", 300));
        Await.value(Duration.ofSeconds(5), a, "k", null);
        mesh.start(b);
        ContentDigest after = mesh.awaitConverged(CONVERGE);
        assertEquals(1, after.size());
        assertEquals(0L, b.sync().exists("k"));
        Await.sleep(1000);
        assertEquals(0L, a.sync().exists("k"));
        assertEquals(0L, b.sync().exists("k"));
    }
}
