package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.csc.DefaultCache;

/**
 * Jedis 5.2's client-side cache (RESP3, CLIENT TRACKING on its pooled connections) on node B of a
 * two-primary mesh: a value cached on B is dropped when a write made on node A arrives, and the
 * next read returns A's value.
 */
class JedisCachingIT extends MeshTest {

    /**
     * Jedis' default cache. Jedis 5.2 refuses client-side caching unless HELLO reports Redis 7.4 or
     * later; keymesh reports its redis-server's version (7.0 here), and tracking works from 6.0,
     * so the cache declares compatibility mode, Jedis' switch for such servers.
     */
    private static final class Cache extends DefaultCache {
        Cache() {
            super(1000);
        }

        @Override
        public boolean compatibilityMode() {
            return true;
        }
    }

    @Test
    void aValueCachedOnBIsInvalidatedByAWriteOnA() {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("jk", "v1");
        Await.value(CONVERGE, b, "jk", "v1");
        Cache cache = new Cache();
        try (JedisPooled jedis = new JedisPooled(new HostAndPort("127.0.0.1", b.port()),
                DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP3).build(), cache)) {
            assertEquals("v1", jedis.get("jk"));
            assertEquals("v1", jedis.get("jk"));
            assertEquals(1, cache.getSize(), "the value is cached");
            assertEquals(1, cache.getStats().getHitCount(), "the second read came from the cache");
            a.sync().set("jk", "v2");
            // Jedis reads pending invalidations before each command it sends
            Await.until(CONVERGE, "B's cached value is replaced by A's write", () -> "v2".equals(jedis.get("jk")),
                    () -> cache.getStats().toString());
            assertTrue(cache.getStats().getInvalidationCount() >= 1, cache.getStats().toString());
        }
    }
}
