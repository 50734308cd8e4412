package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.testsupport.NodePackages;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * BullMQ (npm, with ioredis) against a two-primary mesh: a worker connected to node B processes
 * 1,000 jobs a producer adds through node A (while it runs, or before it starts); every job completes exactly once and the queue's counts
 * end equal on both nodes. Runs {@code bullmq_queue.js} (next to this class) with node; the npm
 * install is kept in proxy/target/bullmq. Skipped, saying why, only when the packages cannot be
 * installed.
 */
class BullMqIT extends MeshTest {
    private static final int JOBS = 1000;

    /** Runs bullmq_queue.js in {@code mode} against a fresh mesh and checks what it printed. */
    private void run(String mode) throws Exception {
        Path dir = NodePackages.install("bullmq", List.of("bullmq", "ioredis"));
        mesh = MeshFixture.start(2);
        Path script = dir.resolve("bullmq_queue.js");
        try (InputStream in = BullMqIT.class.getResourceAsStream("bullmq_queue.js")) {
            Files.write(script, in.readAllBytes());
        }
        NodePackages.Run run = NodePackages.run(dir, 400, List.of(NodePackages.onPath("node").toString(), script.toString(),
                Integer.toString(mesh.node(0).port()), Integer.toString(mesh.node(1).port()), Integer.toString(JOBS), mode));
        String out = "bullmq " + NodePackages.version(dir, "bullmq") + ", ioredis " + NodePackages.version(dir, "ioredis")
                + ":\n" + run.output();
        assertEquals(0, run.exit(), out);
        List<String> lines = run.output().lines().toList();
        for (String check : List.of("ok worker ready on B", "ok added " + JOBS + " jobs through A", "ok every job ran",
                "ok no job ran twice", "ok no job failed", "ok completed on A", "ok counts equal on A and B", "done")) {
            assertTrue(lines.contains(check), check + " missing:\n" + out);
        }
        assertTrue(lines.stream().noneMatch(l -> l.contains(" error: ")), "no client errors:\n" + out);
        mesh.awaitConverged(CONVERGE);
    }

    /**
     * The worker runs while the jobs are added: both nodes write the queue's wait list at once
     * (A pushes, B's moveToActive pops). Needs per-element list merging (issue 16, point 2).
     */
    @Test
    void aWorkerOnBCompletesEveryJobAProducerAddsThroughAMeanwhile() throws Exception {
        run("concurrent");
    }

    /** Every job is added through A and has reached B before the worker on B starts: every BullMQ script B runs works. */
    @Test
    void aWorkerOnBCompletesEveryJobAddedThroughABeforeItStarted() throws Exception {
        run("after");
    }
}
