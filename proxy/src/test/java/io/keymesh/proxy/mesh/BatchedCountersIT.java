package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

/**
 * 50 clients on each of two nodes INCR and HINCRBY the same few counters at once, so that each node
 * batches many clients' increments into one call of the apply library: once both have converged,
 * every increment made anywhere has counted once on both nodes.
 */
class BatchedCountersIT extends MeshTest {
    private static final int PER_NODE = 20_000;
    private static final int KEYS = 8;

    @Test
    void concurrentBatchedIncrementsOnTwoNodesAllCountOnBoth() throws Exception {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("ready", "1");
        Await.value(CONVERGE, b, "ready", "1");

        List<CompletableFuture<String>> runs = new ArrayList<>();
        for (MeshNode n : List.of(a, b)) {
            for (String test : List.of("incr", "hincrby")) {
                List<String> command = new ArrayList<>(List.of("redis-benchmark"));
                command.addAll(n.cliAddress());
                if (test.equals("incr")) {
                    command.addAll(List.of("-c", "50", "-r", Integer.toString(KEYS), "-n", Integer.toString(PER_NODE),
                            "-t", "incr", "-q"));
                } else {
                    command.addAll(List.of("-c", "50", "-r", Integer.toString(KEYS), "-n", Integer.toString(PER_NODE),
                            "-q", "HINCRBY", "h", "f:__rand_int__", "1"));
                }
                runs.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return mesh.run(Duration.ofMinutes(3), command);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
        }
        for (CompletableFuture<String> run : runs) {
            String output = run.get();
            assertTrue(output.contains("requests per second"), output);
        }

        mesh.awaitConverged(CONVERGE);
        for (MeshNode n : List.of(a, b)) {
            long counted = 0;
            for (String key : n.sync().keys("counter:*")) {
                counted += Long.parseLong(n.sync().get(key));
            }
            assertEquals(2L * PER_NODE, counted, "INCRs of both nodes counted on " + n);
            long fields = 0;
            for (String v : n.sync().hgetall("h").values()) {
                fields += Long.parseLong(v);
            }
            assertEquals(2L * PER_NODE, fields, "HINCRBYs of both nodes counted on " + n);
        }
    }
}
