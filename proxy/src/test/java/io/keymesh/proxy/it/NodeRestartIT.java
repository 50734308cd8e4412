package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.sync.RedisCommands;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Stopping keymesh and starting a new node on the same data directory keeps every key. */
class NodeRestartIT extends OneNodePerTest {
    @Test
    void keysWrittenBeforeANodeRestartAreThereAfterwards() throws Exception {
        RedisCommands<String, String> before = fx.connect().sync();
        for (int i = 0; i < 500; i++) {
            before.set("key:" + i, "value-" + i);
        }
        before.hset("hash", Map.of("a", "1", "b", "2"));
        before.rpush("list", "x", "y", "z");
        before.zadd("zset", 3.5, "m");
        before.xadd("stream", Map.of("f", "v"));
        before.set("with-ttl", "t");
        before.expire("with-ttl", 3600);
        before.select(7);
        before.set("in-db7", "seven");
        long oldPid = fx.node().redis().pid();
        int oldPort = fx.port();

        fx.restartNode();

        assertNotEquals(oldPid, fx.node().redis().pid(), "a new redis-server runs");
        assertTrue(fx.port() > 0);
        RedisCommands<String, String> after = fx.connect().sync();
        assertEquals(505, after.dbsize());
        for (int i = 0; i < 500; i++) {
            assertEquals("value-" + i, after.get("key:" + i));
        }
        assertEquals(Map.of("a", "1", "b", "2"), after.hgetall("hash"));
        assertEquals(List.of("x", "y", "z"), after.lrange("list", 0, -1));
        assertEquals(3.5, after.zscore("zset", "m"));
        assertEquals(1, after.xlen("stream"));
        long ttl = after.ttl("with-ttl");
        assertTrue(ttl > 3500 && ttl <= 3600, "TTL survives the restart: " + ttl);
        after.select(7);
        assertEquals("seven", after.get("in-db7"));
        assertEquals(Set.of("in-db7"), Set.copyOf(after.keys("*")));
        assertTrue(oldPort > 0);
    }
}
