package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;

import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;

/** Two primaries keep accepting writes while their link is cut, and after healing hold the merge the brief promises. */
class PartitionMergeIT extends MeshTest {

    private MeshNode a;
    private MeshNode b;

    private void twoNodes() {
        mesh = MeshFixture.start(2);
        a = mesh.node(0);
        b = mesh.node(1);
    }

    @Test
    void counterKeepsIncrementsFromBothSidesOfAPartition() {
        twoNodes();
        a.sync().set("k", "1");
        Await.value(CONVERGE, b, "k", "1");
        mesh.cut(a, b);
        assertEquals(2L, a.sync().incr("k"));
        assertEquals(3L, a.sync().incr("k"));
        assertEquals(4L, a.sync().incr("k"));
        assertEquals(2L, b.sync().incr("k"));
        mesh.heal(a, b);
        Await.value(CONVERGE, a, "k", "5");
        Await.value(CONVERGE, b, "k", "5");
        mesh.awaitConverged(CONVERGE);
    }

    @Test
    void flushDuringAPartitionWipesTheIncrementsTheOtherSideMadeBeforeHearingOfIt() {
        twoNodes();
        a.sync().incrby("k", 10);
        a.sync().hincrby("h", "f", 10);
        Await.value(CONVERGE, b, "k", "10");
        mesh.cut(a, b);
        assertEquals("OK", b.sync().flushdb());
        later();
        assertEquals(11L, a.sync().incr("k"));          // later than the flush, but a has not seen it
        assertEquals(11L, a.sync().hincrby("h", "f", 1));
        a.sync().set("s", "after");                     // a plain write later than the flush survives it
        mesh.heal(a, b);
        Await.value(CONVERGE, a, "k", null);
        mesh.awaitConverged(CONVERGE);
        for (MeshNode n : List.of(a, b)) {
            assertNull(n.sync().get("k"));
            assertNull(n.sync().hget("h", "f"));
            assertEquals("after", n.sync().get("s"));
        }
        // once a has applied the flush, its increments count from it on both nodes
        assertEquals(1L, a.sync().incr("k"));
        Await.value(CONVERGE, b, "k", "1");
        mesh.awaitConverged(CONVERGE);
    }

    /**
     * 6 x {@code perBatch} keys written through B ({@code throughB}) or A and replicated; {@code beforeCut} runs;
     * with the link cut, a FLUSHDB on A and a later write on B; {@code beforeHeal} runs; the link
     * heals, and both nodes must end holding B's write alone.
     */
    private void flushAcrossAPartition(boolean throughB, int perBatch, Runnable beforeCut, Runnable beforeHeal) {
        twoNodes();
        MeshNode writer = throughB ? b : a;
        for (int batch = 0; batch < 6; batch++) {
            Map<String, String> keys = new java.util.HashMap<>();
            for (int i = 0; i < perBatch; i++) {
                keys.put("old:" + batch + ":" + i, "v");
            }
            writer.sync().mset(keys);
        }
        mesh.awaitConverged(CONVERGE);
        beforeCut.run();
        mesh.cut(a, b);
        assertEquals("OK", a.sync().flushdb());
        later();
        b.sync().set("b-after", "written on B after the flush, before B heard of it");
        beforeHeal.run();
        mesh.heal(a, b);
        Await.value(CONVERGE, b, "old:0:0", null);
        mesh.awaitConverged(CONVERGE);
        for (MeshNode n : List.of(a, b)) {
            assertEquals(1L, n.sync().dbsize(), n.name());
            assertEquals("written on B after the flush, before B heard of it", n.sync().get("b-after"), n.name());
        }
    }

    @Test
    void aFlushReachesThePeerWhichFindsWhatToKeepInItsLogsWithoutScanning() {
        // both nodes' housekeeping marks its logs after the writes, before the cut
        flushAcrossAPartition(false, 500, () -> Await.sleep(1500), () -> { });
        for (MeshNode n : List.of(a, b)) {
            // INFO replication says which way each flush took (the housekeeping reads it every second)
            Await.until(CONVERGE, n.name() + " reports that it found what to keep in its logs",
                    () -> "1".equals(n.info("replication").get("mesh_flushes_logged")),
                    () -> n.sync().info("replication"));
            assertEquals("0", n.info("replication").get("mesh_flushes_scanned"), n.name());
        }
    }

    @Test
    void aFlushTheLogsCannotVouchForIsAppliedAheadInStepsWhileThePeerKeepsServing() {
        // B's logs lose every mark: each one it makes from now on is later than the flush, so its logs
        // cannot say which keys are older than it (as on a node that started after the flush)
        flushAcrossAPartition(true, 1000, () -> { }, () -> {
            try (StatefulRedisConnection<String, String> backend = b.connectBackend()) {
                RawCommand.call(backend, "SELECT", Integer.toString(2 * MeshFixture.DATABASES));
                RawCommand.call(backend, "DEL", "km:marks");
            }
        });
        Await.until(CONVERGE, "B reports that it went over its db ahead of the flush",
                () -> "1".equals(b.info("replication").get("mesh_flushes_scanned_ahead")),
                () -> b.sync().info("replication"));
        Map<String, String> info = b.info("replication");
        assertEquals("0", info.get("mesh_flushes_scanned"), "no call scanned the whole db");
        assertEquals("no-mark=1", info.get("mesh_flushes_scan_reasons"));
        try (StatefulRedisConnection<String, String> backend = b.connectBackend()) {
            RawCommand.call(backend, "SELECT", Integer.toString(2 * MeshFixture.DATABASES));
            assertEquals(java.util.List.of(), RawCommand.call(backend, "KEYS", "km:fscan:*"), "the scan's state went with the flush");
        }
    }

    @Test
    void hashFieldsWrittenOnBothSidesOfAPartitionAreBothKept() {
        twoNodes();
        mesh.cut(a, b);
        a.sync().hset("h", "a", "1");
        b.sync().hset("h", "b", "2");
        mesh.heal(a, b);
        mesh.awaitConverged(CONVERGE);
        assertEquals(Map.of("a", "1", "b", "2"), a.sync().hgetall("h"));
        assertEquals(Map.of("a", "1", "b", "2"), b.sync().hgetall("h"));
    }

    @Test
    void laterSetWinsOverEarlierDeleteAcrossAPartition() {
        twoNodes();
        a.sync().set("k", "old");
        Await.value(CONVERGE, b, "k", "old");
        mesh.cut(a, b);
        assertEquals(1L, a.sync().del("k"));
        later();
        b.sync().set("k", "new");
        mesh.heal(a, b);
        Await.value(CONVERGE, a, "k", "new");
        mesh.awaitConverged(CONVERGE);
        assertEquals("new", b.sync().get("k"));
    }

    @Test
    void laterDeleteWinsOverEarlierSetAcrossAPartition() {
        twoNodes();
        a.sync().set("k", "old");
        Await.value(CONVERGE, b, "k", "old");
        mesh.cut(a, b);
        b.sync().set("k", "new");
        later();
        assertEquals(1L, a.sync().del("k"));
        mesh.heal(a, b);
        Await.value(CONVERGE, b, "k", null);
        mesh.awaitConverged(CONVERGE);
        assertNull(a.sync().get("k"));
    }

    @Test
    void disjointWritesOnBothSidesOfAPartitionAreAllPresentAfterHealing() {
        twoNodes();
        mesh.cut(a, b);
        for (int i = 0; i < 200; i++) {
            a.sync().set("a:" + i, "from-a-" + i);
            b.sync().set("b:" + i, "from-b-" + i);
        }
        a.sync().sadd("only-a", "1", "2");
        b.sync().rpush("only-b", "x", "y");
        mesh.heal(a, b);
        ContentDigest merged = mesh.awaitConverged(CONVERGE);
        assertEquals(402, merged.size());
        for (MeshNode n : mesh.nodes()) {
            assertEquals("from-a-199", n.sync().get("a:199"), n.name());
            assertEquals("from-b-0", n.sync().get("b:0"), n.name());
        }
    }

    @Test
    void keyDeletedWhileANodeWasDownDoesNotComeBackWhenItRejoins() {
        twoNodes();
        a.sync().set("k", "v");
        a.sync().set("kept", "v");
        Await.value(CONVERGE, b, "k", "v");
        Await.value(CONVERGE, b, "kept", "v");
        mesh.stop(b);
        assertEquals(1L, a.sync().del("k"));
        mesh.start(b);
        mesh.awaitConverged(CONVERGE);
        assertNull(b.sync().get("k"));
        assertNull(a.sync().get("k"));
        assertEquals("v", b.sync().get("kept"));
        Await.sleep(1000);   // nothing resurrects it later either
        assertFalse(a.sync().exists("k") > 0);
        assertFalse(b.sync().exists("k") > 0);
    }

    @Test
    void concurrentPushesToOneListAndAddsToOneStreamAllSurvive() {
        // lists merge per element: both pushes stay, in stamp order; streams merge per entry: both
        // entries stay, in ID order (docs/design/merge.md)
        twoNodes();
        a.sync().rpush("q", "base");
        a.sync().xadd("s", new io.lettuce.core.XAddArgs().id("0-1"), Map.of("f", "base"));
        mesh.awaitConverged(CONVERGE);
        mesh.cut(a, b);
        a.sync().rpush("q", "from-a");
        a.sync().xadd("s", new io.lettuce.core.XAddArgs().id("0-2"), Map.of("f", "from-a"));
        Await.sleep(20);                        // B's writes get the later stamps
        b.sync().rpush("q", "from-b");
        b.sync().xadd("s", new io.lettuce.core.XAddArgs().id("0-3"), Map.of("f", "from-b"));
        mesh.heal(a, b);
        mesh.awaitConverged(CONVERGE);
        for (MeshNode n : List.of(a, b)) {
            assertEquals(List.of("base", "from-a", "from-b"), n.sync().lrange("q", 0, -1), n.name());
            assertEquals(List.of("0-1", "0-2", "0-3"), n.sync().xrange("s", io.lettuce.core.Range.create("-", "+"))
                    .stream().map(m -> m.getId()).toList(), n.name());
        }
    }
}
