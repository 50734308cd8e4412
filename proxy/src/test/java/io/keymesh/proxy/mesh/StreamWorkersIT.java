package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.Consumer;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/**
 * A job queue on a stream through two primaries: producers XADD through both nodes while a fleet of
 * workers reads one consumer group through both (XREADGROUP ... BLOCK, XACK, XAUTOCLAIM for what
 * was left pending). Every job is processed at least once and the nodes end with the same stream and
 * the same group state.
 */
class StreamWorkersIT extends MeshTest {
    private static final int JOBS_PER_PRODUCER = 150;

    private static Thread started(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.start();
        return t;
    }

    @Test
    void aWorkerFleetReadingOneGroupThroughTwoNodesProcessesEveryJobAndTheGroupsConverge() throws Exception {
        runFleet(false);
    }

    /**
     * Producers on both sides of a partition, workers on one side only: they read past the place the
     * other side's jobs take once the link heals, so most of those jobs arrive below the group's
     * position, where no read with ">" gets them, and must be picked up as pending entries (XAUTOCLAIM).
     */
    @Test
    void jobsProducedOnTheOtherSideOfAPartitionAreProcessedAfterItHealsThoughTheGroupReadPastThem() throws Exception {
        runFleet(true);
    }

    private void runFleet(boolean partition) throws Exception {
        mesh = MeshFixture.start(2);
        List<MeshNode> nodes = mesh.nodes();
        for (MeshNode n : nodes) {
            try {
                n.sync().xgroupCreate(XReadArgs.StreamOffset.from("jobs", "0"), "workers", XGroupCreateArgs.Builder.mkstream());
            } catch (RedisBusyException alreadyThere) {
                // the other node's create arrived first: as with one Redis, BUSYGROUP
            }
        }
        mesh.awaitConverged(CONVERGE);
        if (partition) {
            mesh.cut(nodes.get(0), nodes.get(1));
        }
        Set<String> processed = ConcurrentHashMap.newKeySet();
        Set<String> reclaimed = ConcurrentHashMap.newKeySet();
        Set<String> produced = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < nodes.size(); p++) {
            MeshNode node = nodes.get(p);
            String name = "p" + p;
            threads.add(started("producer-" + name, () -> {
                try {
                    RedisCommands<String, String> c = node.connect().sync();
                    for (int i = 0; i < JOBS_PER_PRODUCER; i++) {
                        String job = name + "-" + i;
                        c.xadd("jobs", "job", job);
                        produced.add(job);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        for (int w = 0; w < 4; w++) {
            MeshNode node = nodes.get(partition ? 0 : w % 2);
            Consumer<String> me = Consumer.from("workers", "w" + w);
            threads.add(started("worker-" + w, () -> {
                try {
                    RedisCommands<String, String> c = node.connect().sync();
                    while (!stop.get()) {
                        List<StreamMessage<String, String>> got = new ArrayList<>(
                                c.xreadgroup(me, XReadArgs.Builder.block(100).count(10), XReadArgs.StreamOffset.lastConsumed("jobs")));
                        // what another worker left pending (or what arrived below the group's position)
                        for (StreamMessage<String, String> m : c.xautoclaim("jobs",
                                XAutoClaimArgs.Builder.xautoclaim(me, Duration.ofMillis(1500), "0-0").count(10)).getMessages()) {
                            got.add(m);
                            if (m.getBody() != null && m.getBody().get("job") != null) {
                                reclaimed.add(m.getBody().get("job"));
                            }
                        }
                        for (StreamMessage<String, String> m : got) {
                            if (m.getBody() != null && m.getBody().get("job") != null) {
                                processed.add(m.getBody().get("job"));
                            }
                            c.xack("jobs", "workers", m.getId());
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        try {
            if (partition) {
                Await.until(Duration.ofSeconds(60), "the workers' side processed its own jobs",
                        () -> failure.get() != null || (produced.size() == 2 * JOBS_PER_PRODUCER && processed.size() == JOBS_PER_PRODUCER),
                        () -> "processed " + processed.size() + " of " + produced.size());
                assertEquals(JOBS_PER_PRODUCER, processed.size(), "nothing crossed the partition");
                mesh.heal(nodes.get(0), nodes.get(1));
            }
            Await.until(Duration.ofSeconds(90), "every job processed",
                    () -> failure.get() != null || (produced.size() == 2 * JOBS_PER_PRODUCER && processed.containsAll(produced)),
                    () -> "processed " + processed.size() + " of " + produced.size());
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join(10_000);
            }
        }
        if (failure.get() != null) {
            throw new AssertionError("a producer or worker failed", failure.get());
        }
        assertEquals(2 * JOBS_PER_PRODUCER, processed.size());
        if (partition) {
            assertTrue(reclaimed.stream().anyMatch(j -> j.startsWith("p1-")),
                    "jobs of the other side that arrived below the group's position came through XAUTOCLAIM: " + reclaimed);
        }
        // identical stream and group state (ContentDigest reads the groups' positions and pending lists)
        mesh.awaitConverged(CONVERGE);
        for (MeshNode n : nodes) {
            assertEquals(2L * JOBS_PER_PRODUCER, n.sync().xlen("jobs"), n.name());
            // every job was acknowledged by someone: nothing is left pending on either node
            assertEquals(0L, n.sync().xpending("jobs", "workers").getCount(), n.name());
        }
    }
}
