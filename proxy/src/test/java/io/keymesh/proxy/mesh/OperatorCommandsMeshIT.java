package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * CLIENT PAUSE and CLIENT UNBLOCK on a node that replicates: a pause holds the node's clients but not
 * its replication links, and a blocking pop on the replicated write path can be unblocked (Lettuce).
 */
class OperatorCommandsMeshIT extends MeshTest {

    @Test
    void aPausedNodeKeepsApplyingItsPeersWritesAndRunsItsHeldWritesAtUnpause() throws Exception {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        StatefulRedisConnection<String, String> held = a.connect();
        StatefulRedisConnection<String, String> unpauser = a.connect();
        assertEquals("OK", a.sync().clientPause(5_000));            // ALL: every client command of a is held
        RedisFuture<String> heldGet = held.async().get("from-b");

        b.sync().set("from-b", "1");
        try (StatefulRedisConnection<String, String> backend = a.connectBackend()) {
            Await.until(CONVERGE, "b's write applied at a during the pause",
                    () -> "1".equals(backend.sync().get("from-b")), () -> "not yet");
        }
        assertFalse(heldGet.isDone(), "a's client is still held");
        assertEquals("OK", RawCommand.call(b.connection(), "CLIENT", "UNPAUSE"), "b is not paused");
        RedisFuture<Object> unpause = RawCommand.send(unpauser, "CLIENT", "UNPAUSE");
        assertFalse(unpause.await(300, TimeUnit.MILLISECONDS), "ALL holds CLIENT UNPAUSE too, as in Redis");
        assertEquals("1", heldGet.get(20, TimeUnit.SECONDS), "the held GET ran once the pause ended");
        assertEquals("OK", unpause.get(1, TimeUnit.SECONDS));
    }

    @Test
    void writePauseHoldsWritesOnlyAndUnpauseReleasesThem() throws Exception {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        StatefulRedisConnection<String, String> writer = a.connect();
        assertEquals("OK", RawCommand.call(a.connection(), "CLIENT", "PAUSE", "30000", "WRITE"));
        RedisFuture<String> heldSet = writer.async().set("from-a", "1");
        b.sync().set("from-b", "1");
        Await.value(CONVERGE, a, "from-b", "1");                  // reads run, peers' writes are applied
        assertFalse(heldSet.isDone());
        assertEquals("OK", RawCommand.call(a.connection(), "CLIENT", "UNPAUSE"));
        assertEquals("OK", heldSet.get(10, TimeUnit.SECONDS));
        Await.value(CONVERGE, b, "from-a", "1");
    }

    @Test
    void aBlockingPopOnTheReplicatedPathIsUnblockedWithRedisTimeoutReply() throws Exception {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        StatefulRedisConnection<String, String> blocked = a.connect();
        long id = blocked.sync().clientId();
        RedisFuture<KeyValue<String, String>> pop = blocked.async().blpop(0, "empty");
        Await.until(Duration.ofSeconds(10), "the BLPOP is blocked and unblocked",
                () -> a.sync().clientUnblock(id, io.lettuce.core.UnblockType.TIMEOUT) == 1, () -> "");
        assertNull(pop.get(10, TimeUnit.SECONDS), "nil, as Redis answers a timed-out BLPOP");
        assertEquals("PONG", blocked.sync().ping());
        assertTrue(a.sync().clientList().contains("id=" + id + " "));
    }
}
