package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import redis.clients.jedis.JedisPooled;

/**
 * Jedis 5.2 against both primaries of a mesh: SCRIPT LOAD then EVALSHA of a fixed-window rate
 * limiter (INCR, PEXPIRE on the window's first hit), called concurrently through both nodes while
 * they are cut apart. The window's counter merges as a counter (every node's increments count), so
 * during a partition each side admits up to the limit on its own count (twice the limit in all),
 * and after the heal both nodes hold every attempt and refuse alike.
 */
class JedisRateLimiterIT extends MeshTest {
    /** KEYS[1] the window's counter; ARGV[1] window length (ms), ARGV[2] the limit; returns 1 admitted, 0 refused. */
    static final String FIXED_WINDOW = """
            local n = redis.call('INCR', KEYS[1])
            if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
            if n > tonumber(ARGV[2]) then return 0 end
            return 1
            """;
    private static final int LIMIT = 50;
    private static final int THREADS_PER_NODE = 3;
    private static final int CALLS_PER_THREAD = 30;

    @Test
    void aFixedWindowLimiterAdmitsTheLimitPerSideDuringAPartitionAndBothNodesAgreeAfterTheHeal() throws Exception {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        try (JedisPooled onA = new JedisPooled("127.0.0.1", a.port());
                JedisPooled onB = new JedisPooled("127.0.0.1", b.port())) {
            // script caches are per node, as in Redis: load on each
            String sha = onA.scriptLoad(FIXED_WINDOW, "window");
            assertEquals(sha, onB.scriptLoad(FIXED_WINDOW, "window"));
            assertEquals(true, onB.scriptExists(sha, "window"), "B has the script");
            mesh.cut(a, b);
            ExecutorService pool = Executors.newFixedThreadPool(2 * THREADS_PER_NODE);
            List<Future<Integer>> admittedA = new ArrayList<>();
            List<Future<Integer>> admittedB = new ArrayList<>();
            try {
                for (int t = 0; t < THREADS_PER_NODE; t++) {
                    admittedA.add(pool.submit(calls(onA, sha)));
                    admittedB.add(pool.submit(calls(onB, sha)));
                }
                assertEquals(LIMIT, sum(admittedA), "A admits the limit on its own count");
                assertEquals(LIMIT, sum(admittedB), "B admits the limit on its own count");
            } finally {
                pool.shutdownNow();
                pool.awaitTermination(10, TimeUnit.SECONDS);
            }
            mesh.heal(a, b);
            String attempts = Integer.toString(2 * THREADS_PER_NODE * CALLS_PER_THREAD);
            Await.value(CONVERGE, a, "window", attempts);
            Await.value(CONVERGE, b, "window", attempts);
            assertEquals(0L, onA.evalsha(sha, List.of("window"), List.of("60000", Integer.toString(LIMIT))), "A refuses");
            assertEquals(0L, onB.evalsha(sha, List.of("window"), List.of("60000", Integer.toString(LIMIT))), "B refuses");
            long ttlA = onA.pttl("window");
            long ttlB = onB.pttl("window");
            assertEquals(true, ttlA > 0 && ttlA <= 60_000 && ttlB > 0 && ttlB <= 60_000, "the window expires: " + ttlA + " " + ttlB);
            mesh.awaitConverged(CONVERGE);
        }
    }

    private static Callable<Integer> calls(JedisPooled jedis, String sha) {
        return () -> {
            int admitted = 0;
            for (int i = 0; i < CALLS_PER_THREAD; i++) {
                admitted += ((Long) jedis.evalsha(sha, List.of("window"), List.of("60000", Integer.toString(LIMIT)))).intValue();
            }
            return admitted;
        };
    }

    private static int sum(List<Future<Integer>> counts) throws Exception {
        int total = 0;
        for (Future<Integer> f : counts) {
            total += f.get(60, TimeUnit.SECONDS);
        }
        return total;
    }
}
