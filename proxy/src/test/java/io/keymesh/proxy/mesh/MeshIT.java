package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket;
import io.keymesh.topology.wire.Hello;
import io.keymesh.topology.wire.PeerAuth;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** Two-node links as INFO replication shows them: streaming, resumed by partial resync after a cut, refused both ways for a wrong secret, refused for another log format. */
class MeshIT extends MeshTest {

    @Test
    void writesReachThePeerPublishArrivesOnceAndACutLinkResumesByPartialResync() {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("k", "v");
        a.sync().hset("h", "f", "1");
        a.sync().incrby("c", 5);
        b.sync().incrby("c", 2);
        Await.value(CONVERGE, b, "k", "v");
        Await.until(CONVERGE, "HSET of A on B", () -> "1".equals(b.sync().hget("h", "f")), () -> b.sync().hgetall("h").toString());
        Await.value(CONVERGE, a, "c", "7");
        Await.value(CONVERGE, b, "c", "7");

        StatefulRedisPubSubConnection<String, String> sub = b.connectPubSub();
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
        Await.until(CONVERGE, "PUBLISH on A reaches B", () -> received.get() >= 1, received::toString);
        Await.sleep(500);
        assertEquals(1, received.get(), "a PUBLISH on A reaches a subscriber on B exactly once");
        sub.close();

        long partialBefore = Long.parseLong(b.info("replication").get("mesh_partial_resyncs"));
        mesh.cut(a, b);
        a.sync().set("during", "cut");
        Await.sleep(300);
        assertNull(b.sync().get("during"));
        mesh.heal(a, b);
        Await.value(CONVERGE, b, "during", "cut");
        Map<String, String> info = b.info("replication");
        assertEquals("master", info.get("role"));
        assertTrue(Long.parseLong(info.get("mesh_partial_resyncs")) > partialBefore, info.toString());
        assertEquals("0", info.get("mesh_snapshot_resyncs"));
        assertTrue(info.get("peer0").contains("state=streaming"), info.get("peer0"));
    }

    @Test
    void aPeerWithTheWrongClusterSecretIsRefusedInBothDirections() {
        mesh = MeshFixture.builder().nodes(2).clusterSecret(1, "wrong").start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        for (MeshNode n : new MeshNode[] {a, b}) {
            Await.until(CONVERGE, n.name() + " refuses its peer that cannot prove the secret", () -> {
                Map<String, String> info = n.info("replication");
                return info.get("peer0").contains("state=refused") && info.get("peer0").contains("could not prove the cluster secret")
                        && Long.parseLong(info.get("mesh_secret_refusals")) >= 1
                        && info.get("mesh_last_refusal").contains("could not prove the cluster secret");
            }, () -> n.info("replication").toString());
        }
        a.sync().set("k", "v");
        b.sync().set("k2", "v2");
        Await.sleep(500);
        assertNull(b.sync().get("k"), "nothing flows over a refused link");
        assertNull(a.sync().get("k2"), "nothing flows over a refused link");
    }

    @Test
    void aNodeWritingAnotherLogFormatIsRefusedAndReported() throws Exception {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        String stamp = String.format("%016x", System.currentTimeMillis() << 16) + "0badf00d";
        try (RespSocket s = new RespSocket(a.port(), Duration.ofSeconds(5))) {
            Object reply = s.call("KEYMESH", "HELLO", "0badf00d", "primary", "127.0.0.1:1", stamp, "1", PeerAuth.nonce());
            assertEquals(new RespSocket.Err("ERR keymesh: log format 1, this node reads log format " + Hello.LOG_FORMAT
                    + " (run the same keymesh version on every node)"), reply);
            // a HELLO without a log format, as a node from before the format was announced sends it
            Object old = s.call("KEYMESH", "HELLO", "0badf00d", "primary", "127.0.0.1:1", stamp);
            assertTrue(old instanceof RespSocket.Err e && e.message().contains("<log-format>")
                    && e.message().contains("log format " + Hello.LOG_FORMAT), String.valueOf(old));
            assertEquals("PONG", s.call("PING"), "the connection stays usable");
        }
        Map<String, String> info = a.info("replication");
        assertEquals("1", info.get("mesh_format_refusals"), info.toString());
        assertTrue(info.get("mesh_last_refusal").contains("node 0badf00d at 127.0.0.1:1: log format 1"), info.toString());
        assertEquals("OK", a.sync().set("k", "v"), "the node keeps serving its clients and its peer");
        Await.value(CONVERGE, mesh.node(1), "k", "v");
    }
}
