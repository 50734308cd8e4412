package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket.Err;
import io.keymesh.proxy.mesh.Await;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.sync.RedisCommands;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * keymesh.maxmemory on one node with replication on: once user data is over it, commands Redis flags
 * denyoom get Redis' exact -OOM (inside MULTI too, which then aborts), reads and deletes keep
 * working, and deleting makes room again; INFO memory shows the limit and the split.
 */
class MemoryLimitIT extends NodePerClass {
    static final String OOM = "OOM command not allowed when used memory > 'maxmemory'.";
    private static final long LIMIT_BYTES = 3L << 20;

    @BeforeAll
    static void start() {
        fx = KeymeshFixture.start(Map.of("keymesh.maxmemory", "3m", "keymesh.replication.enabled", "true"));
    }

    @Test
    void overTheLimitDenyoomCommandsGetOomWhileReadsAndDeletesWorkAndDeletingMakesRoom() throws IOException {
        try (RespSocket s = fx.raw()) {
            Map<String, String> before = info(s);
            assertEquals(Long.toString(LIMIT_BYTES), before.get("maxmemory"));
            assertEquals("3.00M", before.get("maxmemory_human"));
            assertEquals("noeviction", before.get("maxmemory_policy"));
            assertEquals("0", before.get("keymesh_oom"));

            RespSocket queuedBefore = fx.raw();
            assertEquals("OK", queuedBefore.call("MULTI"));
            assertEquals("QUEUED", queuedBefore.call("SET", "queued-before", "1"));

            String value = "v".repeat(4096);
            int written = 0;
            Object reply = null;
            while (written < 20_000) {
                reply = s.call("SET", "k:" + written, value);
                if (!"OK".equals(reply)) {
                    break;
                }
                written++;
            }
            assertEquals(new Err(OOM), reply, "SET once user data is over keymesh.maxmemory, after " + written + " keys");
            assertTrue(written > 100, "only " + written + " keys of 4 KB fit in 3 MB");

            assertEquals(new Err(OOM), s.call("LPUSH", "list", "a"));
            assertEquals(new Err(OOM), s.call("HSET", "hash", "f", "v"));
            assertEquals(new Err(OOM), s.call("APPEND", "k:0", "more"));
            RedisCommands<String, String> lettuce = fx.connect().sync();
            RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class,
                    () -> lettuce.set("lettuce", "x"));
            assertEquals(OOM, e.getMessage());

            assertEquals(value, s.call("GET", "k:0"), "reads work while full");
            assertEquals((long) written, s.call("DBSIZE"));
            assertEquals("OK", s.call("MULTI"));
            assertEquals(new Err(OOM), s.call("SET", "in-multi", "1"));
            assertEquals(new Err(OOM), s.call("GET", "k:0"), "as in Redis, nothing is queued while over the limit");
            Object exec = s.call("EXEC");
            assertInstanceOf(Err.class, exec);
            assertTrue(((Err) exec).message().startsWith("EXECABORT"), exec.toString());
            assertEquals(new Err("EXECABORT Transaction discarded because of: " + OOM), queuedBefore.call("EXEC"),
                    "a transaction queued before the node went over the limit");
            assertEquals(null, s.call("GET", "queued-before"));
            assertEquals("PONG", queuedBefore.call("PING"), "the transaction was discarded");

            Await.until(Duration.ofSeconds(5), "INFO memory shows the metadata and log of the keys written",
                    () -> Long.parseLong(info(s).get("keymesh_used_memory_metadata")) > 0, () -> info(s).toString());
            Map<String, String> full = info(s);
            assertEquals("1", full.get("keymesh_oom"));
            long user = Long.parseLong(full.get("keymesh_used_memory_user"));
            assertTrue(user > LIMIT_BYTES, "user data " + user + " over the limit");
            assertTrue(Long.parseLong(full.get("keymesh_used_memory_metadata")) > 0, full.toString());
            assertTrue(Long.parseLong(full.get("keymesh_used_memory_log")) > 0, full.toString());
            long used = Long.parseLong(full.get("used_memory"));
            assertTrue(used >= user + Long.parseLong(full.get("keymesh_used_memory_metadata")), full.toString());

            for (int i = 0; i < written; i++) {
                assertEquals(1L, s.call("DEL", "k:" + i), "DEL works while full");
            }
            Await.until(Duration.ofSeconds(10), "SET is accepted again after the deletes",
                    () -> "OK".equals(call(s, "SET", "again", "1")), () -> info(s).toString());
            assertEquals("1", s.call("GET", "again"));

            assertEquals("0", info(s).get("keymesh_oom"));
        }
    }

    private static Object call(RespSocket s, String... args) {
        try {
            return s.call(args);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, String> info(RespSocket s) {
        Object reply = call(s, "INFO", "memory");
        Map<String, String> fields = new HashMap<>();
        for (String line : ((String) reply).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                fields.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return fields;
    }
}
