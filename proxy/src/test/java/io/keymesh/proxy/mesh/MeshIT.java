package io.keymesh.proxy.mesh;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Links between primaries over real keymesh nodes, redis-servers and a TCP relay per node. */
class MeshIT {

    @Test
    void writesReachThePeerPublishArrivesOnceAndACutLinkResumesByPartialResync() throws Exception {
        try (MeshCluster mesh = new MeshCluster(List.of("s3cret", "s3cret"), List.of(0L, 0L))) {
            StatefulRedisConnection<String, String> a = mesh.connect(0);
            StatefulRedisConnection<String, String> b = mesh.connect(1);
            mesh.write(a, 0, "SET", "k", "v");
            mesh.write(a, 0, "HSET", "h", "f", "1");
            mesh.write(a, 0, "INCRBY", "c", "5");
            mesh.write(b, 1, "INCRBY", "c", "2");
            MeshCluster.await("writes of A on B", () -> "v".equals(b.sync().get("k"))
                    && "1".equals(b.sync().hget("h", "f")));
            MeshCluster.await("counter on both", () -> "7".equals(a.sync().get("c")) && "7".equals(b.sync().get("c")));

            StatefulRedisPubSubConnection<String, String> sub = mesh.redisClient(1).connectPubSub();
            AtomicInteger received = new AtomicInteger();
            sub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    if (message.equals("hi")) {
                        received.incrementAndGet();
                    }
                }
            });
            sub.sync().subscribe("news");
            a.sync().publish("news", "hi");
            MeshCluster.await("publish on B", () -> received.get() >= 1);
            Thread.sleep(500);
            assertEquals(1, received.get(), "a PUBLISH on A reaches a subscriber on B exactly once");
            sub.close();

            long partialBefore = Long.parseLong(mesh.info(b).get("mesh_partial_resyncs"));
            mesh.relay(0).cut();
            mesh.relay(1).cut();
            mesh.write(a, 0, "SET", "during", "cut");
            Thread.sleep(300);
            assertEquals(null, b.sync().get("during"));
            mesh.relay(0).heal();
            mesh.relay(1).heal();
            MeshCluster.await("write made during the cut on B", () -> "cut".equals(b.sync().get("during")));
            Map<String, String> info = mesh.info(b);
            assertEquals("master", info.get("role"));
            assertTrue(Long.parseLong(info.get("mesh_partial_resyncs")) > partialBefore, info.toString());
            assertEquals("0", info.get("mesh_snapshot_resyncs"));
            assertTrue(info.get("peer0").contains("state=streaming"), info.get("peer0"));
        }
    }

    @Test
    void threeNodesEachWriteReachesTheOthers() throws Exception {
        try (MeshCluster mesh = new MeshCluster(List.of("x", "x", "x"), List.of(0L, 0L, 0L))) {
            List<StatefulRedisConnection<String, String>> c = List.of(mesh.connect(0), mesh.connect(1), mesh.connect(2));
            for (int i = 0; i < 3; i++) {
                mesh.write(c.get(i), i, "SET", "from" + i, "v" + i);
            }
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    int node = j;
                    String key = "from" + i;
                    String value = "v" + i;
                    MeshCluster.await(key + " on node " + j, () -> value.equals(c.get(node).sync().get(key)));
                }
            }
        }
    }

    @Test
    void aPeerWithTheWrongClusterSecretIsRefused() throws Exception {
        try (MeshCluster mesh = new MeshCluster(List.of("right", "wrong"), List.of(0L, 0L))) {
            StatefulRedisConnection<String, String> a = mesh.connect(0);
            StatefulRedisConnection<String, String> b = mesh.connect(1);
            MeshCluster.await("refusal reported", () -> mesh.info(b).get("peer0").contains("wrong cluster secret"));
            assertTrue(Long.parseLong(mesh.info(a).get("mesh_secret_refusals")) >= 1);
            mesh.write(a, 0, "SET", "k", "v");
            Thread.sleep(500);
            assertEquals(null, b.sync().get("k"), "nothing flows over a refused link");
        }
    }

    @Test
    void aPeerWhoseClockIsTenSecondsAheadIsRefusedWithAClearReport() throws Exception {
        try (MeshCluster mesh = new MeshCluster(List.of("s", "s"), List.of(0L, 10_000L))) {
            StatefulRedisConnection<String, String> a = mesh.connect(0);
            MeshCluster.await("clock refusal reported on A", () -> {
                Map<String, String> info = mesh.info(a);
                return Long.parseLong(info.get("mesh_clock_refusals")) >= 1
                        && info.get("mesh_last_refusal").matches(".*clock ahead by (99[0-9][0-9]|100[0-9][0-9]) ms "
                        + "\\(max-clock-offset 500 ms\\).*");
            });
            MeshCluster.await("A refuses to pull from B", () -> {
                String peer = mesh.info(a).get("peer0");
                return peer.contains("state=refused") && peer.contains("peer clock ahead by");
            });
        }
    }
}
