package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The mesh test harness itself: relays cut and heal, digests see every difference a client would, external nodes stop cleanly. */
class MeshHarnessIT extends MeshTest {
    @Test
    void relayForwardsUntilCutAndAgainAfterHeal() throws Exception {
        mesh = MeshFixture.builder().nodes(1).start();
        MeshNode a = mesh.node(0);
        try (CuttableRelay relay = new CuttableRelay("probe")) {
            relay.target(a.port());
            RedisClient client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(relay.port())
                    .withTimeout(Duration.ofSeconds(5)).build());
            client.setOptions(ClientOptions.builder().autoReconnect(false).build());
            try {
                StatefulRedisConnection<String, String> c = client.connect();
                assertEquals("PONG", c.sync().ping());
                relay.cut();
                assertThrows(RuntimeException.class, () -> c.sync().ping(), "a cut relay breaks open connections");
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), relay.port())) {
                    s.setSoTimeout(2000);
                    assertEquals(-1, readOrEof(s), "a cut relay refuses new connections");
                }
                relay.heal();
                assertEquals("PONG", client.connect().sync().ping());
                assertTrue(relay.bytesForwarded() > 0);
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
    }

    private static int readOrEof(Socket s) {
        try {
            return s.getInputStream().read();
        } catch (IOException e) {
            return -1;   // reset counts as refused
        }
    }

    @Test
    void digestSeesEveryTypeValueAndExpiryDifference() {
        mesh = MeshFixture.builder().nodes(1).start();
        MeshNode a = mesh.node(0);
        RedisCommands<String, String> c = a.sync();
        c.set("s", "v");
        c.hset("h", Map.of("f1", "1", "f2", "2"));
        c.sadd("set", "x", "y");
        c.zadd("z", 1.5, "m");
        c.rpush("l", "a", "b");
        c.xadd("x", Map.of("f", "v"));
        c.set("t", "ttl");
        c.expire("t", 1000);
        c.select(2);
        c.set("in-db2", "2");
        c.select(0);
        ContentDigest before = ContentDigest.read(a.connection(), MeshFixture.DATABASES);
        assertEquals(8, before.size());
        assertEquals("string", before.get("2:in-db2").type());
        assertTrue(before.get("0:t").expireAtMillis() > System.currentTimeMillis());
        assertTrue(before.sameContent(ContentDigest.read(a.connection(), MeshFixture.DATABASES)));

        c.hset("h", "f2", "changed");
        c.rpush("l", "c");
        c.persist("t");
        ContentDigest after = ContentDigest.read(a.connection(), MeshFixture.DATABASES);
        assertFalse(before.sameContent(after));
        List<String> diff = before.diff(after, 10);
        assertEquals(3, diff.size(), diff.toString());
        assertTrue(diff.get(0).startsWith("0:h: "), diff.toString());
        assertTrue(diff.get(1).startsWith("0:l: "), diff.toString());
        assertTrue(diff.get(2).startsWith("0:t: "), diff.toString());
    }

    @Test
    void externalNodeSurvivesKillNineOfItsJvmAndKeepsItsData() {
        mesh = MeshFixture.builder().nodes(1).external(0).start();
        MeshNode a = mesh.node(0);
        a.sync().set("k", "before-crash");
        mesh.kill9(a);
        assertFalse(a.isRunning());
        mesh.start(a);
        assertEquals("before-crash", a.sync().get("k"));
    }
}
