package io.keymesh.proxy.write;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket;
import io.keymesh.proxy.it.RespSocket.Err;
import io.lettuce.core.api.sync.RedisCommands;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With replication on the backend holds merge metadata and the log in databases 16..32 (N = 16); a
 * client must never see them: not in KEYS, SCAN, DBSIZE, RANDOMKEY, INFO keyspace or CONFIG GET,
 * and not reachable by SELECT, MOVE, COPY ... DB or SWAPDB.
 */
class MetadataInvisibleIT extends ReplicatingNodePerClass {
    @BeforeEach
    void writeSomething() throws IOException {
        try (RespSocket s = fx.raw()) {
            s.call("FLUSHALL");
            s.call("SET", "a", "1");
            s.call("HSET", "h", "f", "v");
            s.call("RPUSH", "l", "x");
        }
    }

    @Test
    void backendHoldsTheLogButClientsSeeOnlyTheirKeys() throws IOException {
        RedisCommands<String, String> backend = fx.connectBackend().sync();
        backend.select(32);
        assertTrue(backend.dbsize() > 0, "the log lives in db 32 of the backend");

        try (RespSocket s = fx.raw()) {
            assertEquals(Set.of("a", "h", "l"), new TreeSet<>(strings(s.call("KEYS", "*"))));
            List<?> scan = (List<?>) s.call("SCAN", "0", "COUNT", "1000");
            assertEquals(Set.of("a", "h", "l"), new TreeSet<>(strings(scan.get(1))));
            assertEquals(3L, s.call("DBSIZE"));
            for (int i = 0; i < 20; i++) {
                assertTrue(Set.of("a", "h", "l").contains((String) s.call("RANDOMKEY")));
            }
            String info = (String) s.call("INFO", "keyspace");
            assertTrue(info.contains("db0:keys=3,"), info);
            assertFalse(info.lines().anyMatch(l -> l.matches("db(1[6-9]|2[0-9]|3[0-2]):.*")), info);
            assertEquals(List.of("databases", "16"), s.call("CONFIG", "GET", "databases"));

            assertEquals("OK", s.call("FLUSHDB"));
            assertEquals(0L, s.call("DBSIZE"));
            assertEquals(List.of(), s.call("KEYS", "*"));
        }
    }

    @Test
    void shadowDatabasesCannotBeReached() throws IOException {
        try (RespSocket s = fx.raw()) {
            assertEquals(new Err("ERR DB index is out of range"), s.call("SELECT", "16"));
            assertEquals(new Err("ERR DB index is out of range"), s.call("SELECT", "32"));
            assertEquals("OK", s.call("SELECT", "15"));
            assertEquals("OK", s.call("SELECT", "0"));
            assertEquals(new Err("ERR DB index is out of range"), s.call("MOVE", "a", "16"));
            assertEquals(new Err("ERR DB index is out of range"), s.call("COPY", "a", "a2", "DB", "32"));
            assertEquals(1L, s.call("MOVE", "a", "15"));
            assertInstanceOf(Err.class, s.call("SWAPDB", "0", "1"));
            assertTrue(((Err) s.call("SWAPDB", "0", "16")).message().contains("not allowed"));

            // inside MULTI the error comes with EXEC, as Redis reports a bad SELECT there
            assertEquals("OK", s.call("MULTI"));
            assertEquals("QUEUED", s.call("SELECT", "16"));
            assertEquals("QUEUED", s.call("DBSIZE"));
            List<?> exec = (List<?>) s.call("EXEC");
            assertEquals(new Err("ERR DB index is out of range"), exec.get(0));
            assertEquals(2L, exec.get(1), "still db 0 (h and l), not the metadata of db 16");
            assertEquals(2L, s.call("DBSIZE"));
        }
    }

    @Test
    void rESP3ConfigGetAnswersUserDatabases() throws IOException {
        try (RespSocket s = fx.raw()) {
            s.call("HELLO", "3");
            assertEquals("%1\r\n$9\r\ndatabases\r\n$2\r\n16\r\n", s.callRaw("CONFIG", "GET", "databases"));
        }
    }

    private static List<String> strings(Object reply) {
        return ((List<?>) reply).stream().map(Object::toString).toList();
    }
}
