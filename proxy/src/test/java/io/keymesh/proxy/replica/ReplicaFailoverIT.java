package io.keymesh.proxy.replica;

import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two primaries and three read replicas: replicas follow the first primary, fail over to the
 * second within fall * inter + 2 s when it stops, with a partial resync (no snapshot), keep serving
 * while it is down and after it comes back, and the restarted primary converges with the survivor.
 */
class ReplicaFailoverIT {

    @Test
    void replicasFailOverToTheSurvivingPrimaryWithoutFullResyncAndKeepServing() throws Exception {
        try (ReplicaCluster cluster = new ReplicaCluster(2)) {
            List<StatefulRedisConnection<String, String>> reps = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                reps.add(cluster.connect(cluster.addReplica("readonly", Map.of()).port()));
            }
            StatefulRedisConnection<String, String> p1 = cluster.connect(cluster.primaryPort(0));
            StatefulRedisConnection<String, String> p2 = cluster.connect(cluster.primaryPort(1));
            p1.sync().set("before:p1", "one");
            p2.sync().set("before:p2", "two");
            for (StatefulRedisConnection<String, String> r : reps) {
                ReplicaCluster.await("replica linked with both writes", 20_000, () -> {
                    Map<String, String> info = ReplicaCluster.info(r);
                    return "up".equals(info.get("master_link_status"))
                            && "one".equals(r.sync().get("before:p1")) && "two".equals(r.sync().get("before:p2"));
                });
                Map<String, String> info = ReplicaCluster.info(r);
                assertEquals("slave", info.get("role"));
                assertEquals("1", info.get("slave_read_only"));
                assertEquals("slave", r.sync().role().get(0).toString());
                RedisException e = assertThrows(RedisException.class, () -> r.sync().set("x", "y"));
                assertEquals("READONLY You can't write against a read only replica.", e.getMessage());
            }
            // which primary a replica starts on depends on which check passed first; count each side
            List<Boolean> onFirst = new ArrayList<>();
            for (StatefulRedisConnection<String, String> r : reps) {
                onFirst.add(String.valueOf(cluster.primaryPort(0)).equals(ReplicaCluster.info(r).get("master_port")));
            }
            long followers = onFirst.stream().filter(b -> b).count();
            ReplicaCluster.await("primaries count their replicas", 5_000,
                    () -> String.valueOf(followers).equals(ReplicaCluster.info(p1).get("connected_slaves"))
                            && String.valueOf(3 - followers).equals(ReplicaCluster.info(p2).get("connected_slaves")));
            Map<String, String> p1Info = ReplicaCluster.info(followers > 0 ? p1 : p2);
            assertTrue(p1Info.get("slave0").matches("ip=127\\.0\\.0\\.1,port=\\d+,state=online,offset=\\d+,lag=\\d+"),
                    p1Info.toString());

            long stopped = System.nanoTime();
            cluster.stopPrimary(0);
            long bound = ReplicaCluster.FALL * ReplicaCluster.INTER_MILLIS + 2000;
            for (StatefulRedisConnection<String, String> r : reps) {
                ReplicaCluster.await("replica following primary2", bound - (System.nanoTime() - stopped) / 1_000_000, () -> {
                    Map<String, String> info = ReplicaCluster.info(r);
                    return "up".equals(info.get("master_link_status"))
                            && String.valueOf(cluster.primaryPort(1)).equals(info.get("master_port"));
                });
            }
            p2.sync().set("after:p2", "three");
            for (StatefulRedisConnection<String, String> r : reps) {
                ReplicaCluster.await("write after the failover on every replica", 5_000,
                        () -> "three".equals(r.sync().get("after:p2")));
                assertEquals("one", r.sync().get("before:p1"));
                assertEquals("two", r.sync().get("before:p2"));
                Map<String, String> info = ReplicaCluster.info(r);
                assertEquals("0", info.get("upstream_full_resyncs"), info.toString());
            }
            for (int i = 0; i < reps.size(); i++) {
                assertEquals(onFirst.get(i) ? "1" : "0", ReplicaCluster.info(reps.get(i)).get("upstream_switches"));
            }

            cluster.startPrimary(0);
            StatefulRedisConnection<String, String> p1again = cluster.connect(cluster.primaryPort(0));
            ReplicaCluster.await("restarted primary1 converges with primary2", 20_000,
                    () -> ReplicaCluster.digest(p1again).equals(ReplicaCluster.digest(p2)));
            assertEquals("three", p1again.sync().get("after:p2"));
            for (StatefulRedisConnection<String, String> r : reps) {
                assertEquals("three", r.sync().get("after:p2"));
                assertEquals(String.valueOf(cluster.primaryPort(1)), ReplicaCluster.info(r).get("master_port"));
            }
        }
    }

    @Test
    void forwardPolicyReadsItsOwnWriteAndLocalPolicyIsOverriddenByUpstreamDeletes() throws Exception {
        try (ReplicaCluster cluster = new ReplicaCluster(1)) {
            StatefulRedisConnection<String, String> fwd = cluster.connect(cluster.addReplica("forward", Map.of()).port());
            StatefulRedisConnection<String, String> loc = cluster.connect(cluster.addReplica("local", Map.of()).port());
            StatefulRedisConnection<String, String> p = cluster.connect(cluster.primaryPort(0));
            for (StatefulRedisConnection<String, String> r : List.of(fwd, loc)) {
                ReplicaCluster.await("replica linked", 20_000,
                        () -> "up".equals(ReplicaCluster.info(r).get("master_link_status")));
            }
            for (int i = 0; i < 20; i++) {
                assertEquals("OK", fwd.sync().set("fwd:" + i, "v" + i));
                assertEquals("v" + i, fwd.sync().get("fwd:" + i), "read-your-write on the forwarding replica");
            }
            assertEquals(3L, fwd.sync().incrby("fwd:n", 3));
            assertEquals("3", fwd.sync().get("fwd:n"));
            assertEquals("v7", p.sync().get("fwd:7"), "the forwarded write was made at the primary");
            RedisException wrongType = assertThrows(RedisException.class, () -> fwd.sync().incr("fwd:1"));
            assertTrue(wrongType.getMessage().startsWith("ERR value is not an integer"), wrongType.getMessage());

            assertEquals("OK", loc.sync().set("region:k", "local value"));
            assertEquals("local value", loc.sync().get("region:k"));
            Thread.sleep(300);
            assertNull(p.sync().get("region:k"), "a local write is never replicated");
            assertNull(fwd.sync().get("region:k"));
            p.sync().set("purge:k", "upstream");
            ReplicaCluster.await("upstream write on the local replica", 5_000, () -> "upstream".equals(loc.sync().get("purge:k")));
            loc.sync().set("purge:k", "local override");
            assertEquals("local override", loc.sync().get("purge:k"));
            p.sync().del("purge:k");
            ReplicaCluster.await("a DEL at the primary removes the key on the local replica", 5_000,
                    () -> loc.sync().get("purge:k") == null);
            p.sync().set("region:k", "from upstream");
            ReplicaCluster.await("an upstream write overrides a local one", 5_000,
                    () -> "from upstream".equals(loc.sync().get("region:k")));
        }
    }

    @Test
    void regionLocalKeysStayOnTheirPrimaryAndServeStaleDataNoAnswersMasterdown() throws Exception {
        try (ReplicaCluster cluster = new ReplicaCluster(1)) {
            StatefulRedisConnection<String, String> strict = cluster.connect(cluster.addReplica("readonly",
                    Map.of("keymesh.replica.serve-stale-data", false)).port());
            StatefulRedisConnection<String, String> p = cluster.connect(cluster.primaryPort(0));
            ReplicaCluster.await("replica linked", 20_000,
                    () -> "up".equals(ReplicaCluster.info(strict).get("master_link_status")));
            p.sync().set("shared:k", "v");
            ReplicaCluster.await("replicated", 5_000, () -> "v".equals(strict.sync().get("shared:k")));
            cluster.stopPrimary(0);
            ReplicaCluster.await("link down", 5_000,
                    () -> "down".equals(ReplicaCluster.info(strict).get("master_link_status")));
            RedisException e = assertThrows(RedisException.class, () -> strict.sync().get("shared:k"));
            assertEquals("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", e.getMessage());
            assertEquals("PONG", strict.sync().ping());
        }
    }
}
