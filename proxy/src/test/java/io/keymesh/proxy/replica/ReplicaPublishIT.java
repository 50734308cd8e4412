package io.keymesh.proxy.replica;

import io.keymesh.proxy.mesh.Await;
import io.keymesh.proxy.mesh.MeshFixture;
import io.keymesh.proxy.mesh.MeshNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * PUBLISH on either of two primaries reaches a subscriber connected to a replica exactly once: the
 * replica's own primary sends it down the replica link, the other primary's reaches it through the
 * peer link and the replica's primary, never both ways.
 */
class ReplicaPublishIT {
    private static MeshFixture mesh;
    private static RedisClient subscriberClient;
    private static StatefulRedisPubSubConnection<String, String> subscriber;
    private static final List<String> received = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        mesh = MeshFixture.builder().nodes(2).replicas(1).start();
        subscriberClient = RedisClient.create(RedisURI.create("127.0.0.1", mesh.replica(0).port()));
        subscriber = subscriberClient.connectPubSub();
        subscriber.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
                received.add(message);
            }
        });
        subscriber.sync().subscribe("news");
    }

    @AfterAll
    static void stop() {
        if (subscriber != null) {
            subscriber.close();
        }
        if (subscriberClient != null) {
            subscriberClient.shutdown(0, 1, TimeUnit.SECONDS);
        }
        if (mesh != null) {
            mesh.close();
        }
    }

    @Test
    void messageFromEitherPrimaryArrivesOnce() throws Exception {
        StatefulRedisConnection<String, String> p0 = mesh.node(0).connect();
        StatefulRedisConnection<String, String> p1 = mesh.node(1).connect();
        MeshNode replica = mesh.replica(0);
        Await.until(MeshNode.TIMEOUT, "replica link up", () -> "up".equals(replica.info("replication").get("master_link_status")),
                () -> replica.sync().info("replication"));
        awaitPath(p0, "probe-0-");      // links come up on their own schedule: prove both paths first
        awaitPath(p1, "probe-1-");
        Thread.sleep(500);
        received.clear();

        p0.sync().publish("news", "from-primary0");
        p1.sync().publish("news", "from-primary1");
        Await.until(Duration.ofSeconds(10), "both messages on the replica",
                () -> received.contains("from-primary0") && received.contains("from-primary1"), received::toString);
        Thread.sleep(1000);                 // time for a duplicate to show up, if any were sent
        List<String> sorted = new ArrayList<>(received);
        Collections.sort(sorted);
        assertEquals(List.of("from-primary0", "from-primary1"), sorted);
    }

    private static void awaitPath(StatefulRedisConnection<String, String> primary, String prefix) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (int i = 0; ; i++) {
            String probe = prefix + i;
            primary.sync().publish("news", probe);
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
            while (System.nanoTime() < until) {
                if (received.contains(probe)) {
                    return;
                }
                Thread.sleep(20);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no publish with prefix " + prefix + " reached the replica's subscriber");
            }
        }
    }
}
