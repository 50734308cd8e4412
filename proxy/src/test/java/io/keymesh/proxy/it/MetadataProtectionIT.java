package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.proxy.it.RespSocket.Err;
import io.keymesh.proxy.mesh.Await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * What could evict keymesh's metadata and log, or lose them on a crash, is refused with the reason:
 * every eviction policy and a server memory limit through CONFIG SET or in the config file, and
 * persistence changes through CONFIG SET; a policy set on the redis-server behind keymesh's back is
 * put back.
 */
class MetadataProtectionIT extends OneNodePerClass {
    static final List<String> EVICTION_POLICIES = List.of("allkeys-lru", "allkeys-lfu", "allkeys-random",
            "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl");

    @Test
    void configSetOfEveryEvictionPolicyIsRefusedNamingTheMetadata() throws IOException {
        try (RespSocket s = fx.raw()) {
            for (String policy : EVICTION_POLICIES) {
                Object reply = s.call("CONFIG", "SET", "maxmemory-policy", policy);
                assertEquals(new Err("ERR CONFIG SET maxmemory-policy " + policy + " is not allowed through keymesh: an "
                        + "eviction would drop keymesh's merge metadata or replication log, or a key no other node deletes, "
                        + "and nodes would silently diverge; keymesh.maxmemory limits user data instead"), reply);
            }
            assertEquals(List.of("maxmemory-policy", "noeviction"), s.call("CONFIG", "GET", "maxmemory-policy"));
            assertEquals("OK", s.call("CONFIG", "SET", "maxmemory-policy", "noeviction"));
            assertEquals("OK", s.call("CONFIG", "SET", "maxmemory", "0"));
            assertRefused(s.call("CONFIG", "SET", "maxmemory", "100mb"), "keymesh.maxmemory");
            assertRefused(s.call("CONFIG", "SET", "hz", "20", "maxmemory-policy", "allkeys-lru"), "metadata");
            assertEquals(List.of("hz", "10"), s.call("CONFIG", "GET", "hz"), "a refused CONFIG SET changes nothing");
            assertRefused(s.call("CONFIG", "SET", "maxmemory-clients", "10mb"), "keymesh's own connections");
            assertRefused(s.call("CONFIG", "SET", "min-replicas-to-write", "1"), "its peers' too");
            assertRefused(s.call("CONFIG", "SET", "maxclients", "2"), "keymesh's own");
            assertRefused(s.call("CONFIG", "SET", "sanitize-dump-payload", "no"), "signed with a right checksum");
            assertEquals(List.of("sanitize-dump-payload", "clients"), s.call("CONFIG", "GET", "sanitize-dump-payload"));
            assertEquals(List.of("maxmemory", "0"), s.call("CONFIG", "GET", "maxmemory"));
        }
    }

    @Test
    void configSetOfPersistenceIsRefusedBecauseACrashWouldLoseTheLog() throws IOException {
        try (RespSocket s = fx.raw()) {
            assertRefused(s.call("CONFIG", "SET", "appendonly", "no"), "replication log");
            assertRefused(s.call("CONFIG", "SET", "appendfsync", "no"), "replication log");
            assertRefused(s.call("CONFIG", "SET", "save", "60 1"), "replication log");
            assertEquals(List.of("appendonly", "yes"), s.call("CONFIG", "GET", "appendonly"));
            assertEquals(List.of("appendfsync", "everysec"), s.call("CONFIG", "GET", "appendfsync"));
            // lazy freeing changes when memory is freed, not what is deleted: allowed
            assertEquals("OK", s.call("CONFIG", "SET", "lazyfree-lazy-user-del", "yes"));
            assertEquals("OK", s.call("CONFIG", "SET", "lazyfree-lazy-user-del", "no"));
        }
    }

    @Test
    void anEvictionPolicySetOnTheRedisServerBehindKeymeshsBackIsPutBack() throws Exception {
        String socket = fx.node().redis().socketPath().toString();
        Process cli = new ProcessBuilder("redis-cli", "-s", socket, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
                .redirectErrorStream(true).redirectOutput(fx.tempFile("cli.out").toFile()).start();
        assertTrue(cli.waitFor(10, TimeUnit.SECONDS), "redis-cli finished");
        try (RespSocket s = fx.raw()) {
            Await.until(Duration.ofSeconds(10), "maxmemory-policy is noeviction again",
                    () -> List.of("maxmemory-policy", "noeviction").equals(call(s, "CONFIG", "GET", "maxmemory-policy")),
                    () -> String.valueOf(call(s, "CONFIG", "GET", "maxmemory-policy")));
        }
    }

    @Test
    void anEvictionPolicyOrServerLimitInTheConfigFileIsRefusedAtStart() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> load(Map.of("keymesh.storage.redis.maxmemory-policy", "volatile-lru")));
        assertTrue(e.getMessage().contains("keymesh.storage.redis.maxmemory-policy")
                && e.getMessage().contains("volatile-lru") && e.getMessage().contains("merge metadata"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> load(Map.of("keymesh.storage.redis.maxmemory", "100m")));
        assertTrue(e.getMessage().contains("keymesh.storage.redis.maxmemory") && e.getMessage().contains("keymesh.maxmemory"),
                e.getMessage());
        assertEquals(0, load(Map.of("keymesh.storage.redis.maxmemory-policy", "noeviction")).maxmemoryBytes());
        assertEquals(64L << 20, load(Map.of("keymesh.maxmemory", "64m")).maxmemoryBytes());
    }

    private static KeymeshConfig load(Map<String, Object> settings) {
        return KeymeshConfig.from(ConfigFactory.parseMap(settings).withFallback(ConfigFactory.defaultReference()).resolve());
    }

    private static void assertRefused(Object reply, String why) {
        assertInstanceOf(Err.class, reply);
        String message = ((Err) reply).message();
        assertTrue(message.startsWith("ERR CONFIG SET ") && message.contains("not allowed through keymesh")
                && message.contains(why), message);
    }

    private static Object call(RespSocket s, String... args) {
        try {
            return s.call(args);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
