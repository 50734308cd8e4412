package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * A node whose user data is over keymesh.maxmemory refuses its clients' writes with Redis' -OOM but
 * still applies every write its peer replicates, loses no metadata (keys with a TTL, whose metadata
 * carries the same TTL, included), and converges with its peer.
 */
class MemoryLimitMeshIT extends MeshTest {
    private static final String OOM = "OOM command not allowed when used memory > 'maxmemory'.";
    private static final String VALUE = "v".repeat(4096);

    @Test
    void aFullNodeRefusesClientWritesButAppliesItsPeersAndKeepsEveryKeysMetadata() {
        mesh = MeshFixture.builder().nodes(2).setting(1, "keymesh.maxmemory", "3m").start();
        MeshNode peer = mesh.node(0);
        MeshNode full = mesh.node(1);

        int written = 0;
        RedisCommandExecutionException refused = null;
        while (refused == null && written < 20_000) {
            try {
                setMaybeWithTtl(full.sync(), "full:" + written, written);
                written++;
            } catch (RedisCommandExecutionException e) {
                refused = e;
            }
        }
        assertTrue(refused != null && refused.getMessage().equals(OOM), "SET on the full node after " + written + " keys: "
                + refused);

        for (int i = 0; i < 300; i++) {
            setMaybeWithTtl(peer.sync(), "peer:" + i, i);
        }
        Await.value(CONVERGE, full, "peer:299", VALUE);
        assertEquals("1", full.info("memory").get("keymesh_oom"), "the full node is still over its limit");
        RedisCommandExecutionException stillFull = assertThrows(RedisCommandExecutionException.class,
                () -> full.sync().set("refused", "x"));
        assertEquals(OOM, stillFull.getMessage());

        ContentDigest digest = mesh.awaitConverged(CONVERGE);
        assertEquals(written + 300, digest.size(), "every key of both nodes on both nodes");
        for (MeshNode n : mesh.nodes()) {
            assertEveryKeyHasItsMetadata(n);
            assertEquals("noeviction", n.info("memory").get("maxmemory_policy"));
        }
        Map<String, String> memory = full.info("memory");
        assertTrue(Long.parseLong(memory.get("keymesh_used_memory_metadata")) > 0, memory.toString());
        assertEquals(Long.toString(3L << 20), memory.get("keymesh_maxmemory"));

        for (int i = 0; i < written; i++) {
            assertEquals(1L, full.sync().del("full:" + i), "deletes work on the full node");
        }
        for (int i = 0; i < 300; i++) {
            assertEquals(1L, full.sync().del("peer:" + i), "deletes work on the full node");
        }
        Await.until(CONVERGE, "the full node accepts writes again", () -> {
            try {
                return "OK".equals(full.sync().set("again", "1"));
            } catch (RedisCommandExecutionException e) {
                return false;
            }
        }, () -> full.info("memory").toString());
        Await.value(CONVERGE, peer, "again", "1");
        assertEquals(1, mesh.awaitConverged(CONVERGE).size(), "the deletes and the new key reached the peer");
    }

    /** Every third key gets a TTL, so its metadata carries one too. */
    private static void setMaybeWithTtl(RedisCommands<String, String> redis, String key, int i) {
        if (i % 3 == 0) {
            redis.set(key, VALUE, SetArgs.Builder.ex(3600));
        } else {
            redis.set(key, VALUE);
        }
    }

    /** Each user key of db 0 has its metadata in db N (same name) on the node's redis-server, expiring with it. */
    private static void assertEveryKeyHasItsMetadata(MeshNode n) {
        StatefulRedisConnection<String, String> backend = n.connectBackend();
        RedisCommands<String, String> r = backend.sync();
        List<String> keys = r.keys("*");
        assertTrue(keys.size() > 300, n.name() + " has " + keys.size() + " keys");
        int missing = 0;
        int ttlMismatch = 0;
        for (String key : keys) {
            r.select(0);
            long expiresAt = r.pexpiretime(key);
            r.select(MeshFixture.DATABASES);
            if (r.exists(key) == 0) {
                missing++;
            } else if (expiresAt > 0 && r.pexpiretime(key) != expiresAt) {
                ttlMismatch++;
            }
        }
        assertEquals(0, missing, n.name() + ": user keys without their metadata");
        assertEquals(0, ttlMismatch, n.name() + ": metadata not expiring with its key");
        backend.close();
    }
}
