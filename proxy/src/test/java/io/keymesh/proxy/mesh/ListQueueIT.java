package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.sync.RedisCommands;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

/**
 * A list used as a queue through two primaries (Lettuce clients): concurrent producers and consumers
 * on both nodes, live and across a partition. Every pushed element is handed out or still queued
 * (pops are at-least-once), and both nodes end with the same list.
 */
class ListQueueIT extends MeshTest {

    /** Pushes {@code count} elements named {@code prefix-i} on {@code r}, one RPUSH or LPUSH each. */
    private static void produce(RedisCommands<String, String> r, String prefix, int count, boolean head) {
        for (int i = 0; i < count; i++) {
            String v = prefix + "-" + i;
            if (head) {
                r.lpush("q", v);
            } else {
                r.rpush("q", v);
            }
        }
    }

    /** Pops up to {@code count} elements on {@code r} into {@code out} (LPOP or RPOP with a count of 1-3). */
    private static void consume(RedisCommands<String, String> r, int count, boolean head, ConcurrentLinkedQueue<String> out) {
        int popped = 0;
        int round = 0;
        while (popped < count) {
            int n = 1 + (round++ % 3);
            List<String> got = head ? r.lpop("q", n) : r.rpop("q", n);
            if (got == null || got.isEmpty()) {
                Await.sleep(2);
                continue;
            }
            out.addAll(got);
            popped += got.size();
        }
    }

    private static void assertEverythingHandedOutOrQueued(MeshFixture mesh, Set<String> pushed, ConcurrentLinkedQueue<String> popped) {
        mesh.awaitConverged(CONVERGE);
        List<String> left = mesh.node(0).sync().lrange("q", 0, -1);
        assertEquals(left, mesh.node(1).sync().lrange("q", 0, -1), "the same list on both nodes");
        Set<String> seen = new HashSet<>(popped);
        seen.addAll(left);
        assertEquals(pushed, seen, "no pushed element is lost");
        assertEquals(left.size(), new HashSet<>(left).size(), "no element is queued twice");
        for (String v : left) {
            assertTrue(!popped.contains(v), v + " was handed out and is still queued");
        }
    }

    @Test
    void producersAndConsumersOnBothNodesLoseNothingAndEndWithOneList() throws Exception {
        mesh = MeshFixture.start(2);
        RedisCommands<String, String> a = mesh.node(0).sync();
        RedisCommands<String, String> b = mesh.node(1).sync();
        ConcurrentLinkedQueue<String> popped = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> work = new ArrayList<>();
            RedisCommands<String, String> a2 = mesh.node(0).connect().sync();
            RedisCommands<String, String> b2 = mesh.node(1).connect().sync();
            work.add(pool.submit(() -> produce(a, "a", 400, false)));
            work.add(pool.submit(() -> produce(b, "b", 400, true)));
            work.add(pool.submit(() -> consume(a2, 250, true, popped)));
            work.add(pool.submit(() -> consume(b2, 250, false, popped)));
            for (Future<?> f : work) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        Set<String> pushed = new HashSet<>();
        for (int i = 0; i < 400; i++) {
            pushed.add("a-" + i);
            pushed.add("b-" + i);
        }
        assertEverythingHandedOutOrQueued(mesh, pushed, popped);
    }

    @Test
    void pushesAndPopsOnBothSidesOfAPartitionMergeWhenItHeals() {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        produce(a.sync(), "before", 100, false);
        mesh.awaitConverged(CONVERGE);
        mesh.cut(a, b);
        produce(a.sync(), "a", 200, false);
        produce(b.sync(), "b", 200, true);
        ConcurrentLinkedQueue<String> popped = new ConcurrentLinkedQueue<>();
        consume(a.sync(), 50, true, popped);           // both pop the oldest elements: handed out twice
        consume(b.sync(), 60, false, popped);
        consume(b.sync(), 40, true, popped);
        a.sync().lmove("q", "done", io.lettuce.core.LMoveArgs.Builder.leftRight());
        mesh.heal(a, b);
        Set<String> pushed = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            pushed.add("a-" + i);
            pushed.add("b-" + i);
        }
        for (int i = 0; i < 100; i++) {
            pushed.add("before-" + i);
        }
        popped.addAll(a.sync().lrange("done", 0, -1));
        assertEverythingHandedOutOrQueued(mesh, pushed, popped);
        // b's head pushes first, newest first, then a's tail pushes in their order
        List<String> q = a.sync().lrange("q", 0, -1);
        List<String> expected = new ArrayList<>();
        int newestB = Integer.parseInt(q.get(0).substring(2));
        for (int i = newestB; i >= 0; i--) {
            expected.add("b-" + i);
        }
        for (int i = 0; i < 200; i++) {
            expected.add("a-" + i);
        }
        assertEquals(expected, q);
    }
    @Test
    void aBlockingWorkerOnOneNodeTakesEveryJobPushedOnTheOther() throws Exception {
        mesh = MeshFixture.start(2);
        RedisCommands<String, String> producer = mesh.node(0).sync();
        RedisCommands<String, String> worker = mesh.node(1).connect().sync();
        int jobs = 300;
        ConcurrentLinkedQueue<String> done = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> work = pool.submit(() -> {
                long deadline = System.nanoTime() + CONVERGE.toNanos();
                while (done.size() < jobs && System.nanoTime() < deadline) {
                    // a reliable-queue worker: move the job to its own list, then acknowledge it there
                    String job = worker.blmove("jobs", "working", io.lettuce.core.LMoveArgs.Builder.rightLeft(), 1);
                    if (job != null) {
                        done.add(job);
                        assertEquals(1L, worker.lrem("working", 1, job));
                    }
                }
            });
            for (int i = 0; i < jobs; i++) {
                producer.lpush("jobs", "job-" + i);
                if (i % 50 == 49) {
                    Await.sleep(300);                    // the worker finds the list empty and blocks
                }
            }
            work.get();
        } finally {
            pool.shutdownNow();
        }
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < jobs; i++) {
            expected.add("job-" + i);
        }
        assertEquals(expected, new HashSet<>(done), "every job taken");
        assertEquals(jobs, done.size(), "one worker takes each job once");
        mesh.awaitConverged(CONVERGE);
        for (MeshNode n : mesh.nodes()) {
            assertEquals(0L, n.sync().exists("jobs", "working"), n.name());
        }
    }
}
