package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.ScoredValue;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

/** Writes on any node of a healthy three-node mesh reach every node, with Redis' semantics. */
class PropagationIT extends MeshTest {

    @Test
    void everyWriteTypeOnAnyNodeReachesAllNodes() {
        mesh = MeshFixture.start(3);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        MeshNode c = mesh.node(2);
        a.sync().set("s", "hello");
        b.sync().hset("h", Map.of("f1", "v1", "f2", "v2"));
        c.sync().sadd("set", "x", "y", "z");
        a.sync().zadd("z", ScoredValue.just(1.5, "m1"), ScoredValue.just(2.5, "m2"));
        b.sync().lpush("l", "1", "2", "3");
        String streamId = c.sync().xadd("x", Map.of("field", "value"));
        b.sync().set("ttl", "t");
        Await.value(CONVERGE, a, "ttl", "t");
        assertTrue(a.sync().expire("ttl", 3600));

        mesh.awaitConverged(CONVERGE);
        for (MeshNode n : mesh.nodes()) {
            RedisCommands<String, String> r = n.sync();
            assertEquals("hello", r.get("s"), n.name());
            assertEquals(Map.of("f1", "v1", "f2", "v2"), r.hgetall("h"), n.name());
            assertEquals(Set.of("x", "y", "z"), r.smembers("set"), n.name());
            assertEquals(List.of("m1", "m2"), r.zrange("z", 0, -1), n.name());
            assertEquals(2.5, r.zscore("z", "m2"), n.name());
            assertEquals(List.of("3", "2", "1"), r.lrange("l", 0, -1), n.name());
            assertEquals(streamId, r.xrange("x", io.lettuce.core.Range.create("-", "+")).get(0).getId(), n.name());
            long ttl = r.ttl("ttl");
            assertTrue(ttl > 3500 && ttl <= 3600, n.name() + " TTL " + ttl);
        }
    }

    @Test
    void setOnOneNodeThenIncrOnTwoOthersGivesThreeEverywhere() {
        mesh = MeshFixture.start(3);
        MeshNode a = mesh.node(0);
        a.sync().set("k", "1");
        mesh.awaitConverged(CONVERGE);
        mesh.node(1).sync().incr("k");
        mesh.node(2).sync().incr("k");
        for (MeshNode n : mesh.nodes()) {
            Await.value(CONVERGE, n, "k", "3");
        }
        mesh.awaitConverged(CONVERGE);
    }

    @Test
    void thousandTransactionsOfTwoIncrsOnOneNodeGiveTwoThousandEverywhere() {
        mesh = MeshFixture.start(3);
        RedisCommands<String, String> a = mesh.node(0).sync();
        for (int i = 0; i < 1000; i++) {
            a.multi();
            a.incr("c");
            a.incr("c");
            TransactionResult result = a.exec();
            assertEquals((long) (2 * i + 2), (Long) result.get(1));
        }
        for (MeshNode n : mesh.nodes()) {
            Await.value(CONVERGE, n, "c", "2000");
        }
        mesh.awaitConverged(CONVERGE);
    }

    @Test
    void publishOnOneNodeReachesSubscribersOnTheOthersExactlyOnce() {
        mesh = MeshFixture.start(3);
        List<String> onB = new CopyOnWriteArrayList<>();
        List<String> onC = new CopyOnWriteArrayList<>();
        subscribe(mesh.node(1), "news", onB);
        subscribe(mesh.node(2), "news", onC);
        // links may still be coming up: publish probes until both subscribers heard one, then the real messages
        Await.until(CONVERGE, "a probe published on A reaches B and C",
                () -> {
                    mesh.node(0).sync().publish("news", "probe");
                    return onB.contains("probe") && onC.contains("probe");
                },
                () -> "B heard " + onB + ", C heard " + onC);
        Await.sleep(500);
        onB.clear();
        onC.clear();
        for (int i = 0; i < 20; i++) {
            mesh.node(0).sync().publish("news", "m" + i);
        }
        Await.until(Duration.ofSeconds(10), "B and C heard 20 messages", () -> onB.size() >= 20 && onC.size() >= 20,
                () -> "B heard " + onB + ", C heard " + onC);
        Await.sleep(1000);   // time for any duplicate to show up
        List<String> expected = java.util.stream.IntStream.range(0, 20).mapToObj(i -> "m" + i).toList();
        assertEquals(expected, onB, "B hears each message once, in order");
        assertEquals(expected, onC, "C hears each message once, in order");
        assertEquals(0, mesh.node(1).sync().dbsize(), "PUBLISH stores nothing");
    }

    private static void subscribe(MeshNode node, String channel, List<String> into) {
        StatefulRedisPubSubConnection<String, String> sub = node.connectPubSub();
        sub.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String ch, String message) {
                into.add(message);
            }
        });
        sub.sync().subscribe(channel);
    }
}
