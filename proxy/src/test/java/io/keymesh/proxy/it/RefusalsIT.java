package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket.Err;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.sync.RedisCommands;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Commands that would take the node's redis-server away from keymesh are refused with an ERR that
 * names keymesh; the connection keeps working and the backend is untouched.
 */
class RefusalsIT extends OneNodePerClass {
    private static final String[][] REFUSED = {
        {"SHUTDOWN"}, {"SHUTDOWN", "NOSAVE"}, {"REPLICAOF", "127.0.0.1", "6379"}, {"REPLICAOF", "NO", "ONE"},
        {"SLAVEOF", "NO", "ONE"}, {"DEBUG", "SLEEP", "0"}, {"DEBUG", "SEGFAULT"}, {"MODULE", "LIST"},
        {"MODULE", "LOAD", "/tmp/x.so"}, {"CONFIG", "SET", "dir", "/tmp"},
        {"CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "dir", "/tmp"}, {"CONFIG", "SET", "requirepass", "x"},
        {"CONFIG", "SET", "port", "7777"}, {"FAILOVER"}, {"SYNC"}, {"PSYNC", "?", "-1"}, {"CLUSTER", "INFO"},
        {"CONFIG", "REWRITE"}, {"ACL", "SAVE"}, {"ACL", "LOAD"},
    };

    @Test
    void dangerousCommandsAreRefusedWithAnErrMentioningKeymeshAndTheConnectionKeepsWorking() throws IOException {
        long pid = fx.node().redis().pid();
        try (RespSocket s = fx.raw()) {
            assertEquals("OK", s.call("SET", "survivor", "yes"));
            for (String[] command : REFUSED) {
                Object reply = s.call(command);
                String what = String.join(" ", command);
                assertInstanceOf(Err.class, reply, what + " replied " + reply);
                String message = ((Err) reply).message();
                assertTrue(message.startsWith("ERR "), what + ": " + message);
                assertTrue(message.contains("keymesh"), what + " does not mention keymesh: " + message);
                assertEquals("PONG", s.call("PING"), "connection still works after " + what);
            }
            assertEquals("yes", s.call("GET", "survivor"));
            assertEquals(List.of("dir", fx.dataDir().resolve("redis").toString()), s.call("CONFIG", "GET", "dir"),
                    "CONFIG SET dir was not applied");
            String replication = (String) s.call("INFO", "replication");
            assertTrue(replication.contains("role:master"), replication);
        }
        assertEquals(pid, fx.node().redis().pid(), "the backend redis-server was not restarted");
        assertTrue(fx.node().redis().isAlive());
    }

    @Test
    void refusalsThroughLettuceAreCommandErrors() {
        RedisCommands<String, String> lettuce = fx.connect().sync();
        RedisCommandExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                RedisCommandExecutionException.class, () -> lettuce.configSet("dir", "/tmp"));
        assertTrue(e.getMessage().startsWith("ERR") && e.getMessage().contains("keymesh"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(RedisCommandExecutionException.class,
                () -> KeymeshFixture.call(lettuce.getStatefulConnection(), "DEBUG", "SLEEP", "0"));
        org.junit.jupiter.api.Assertions.assertThrows(RedisCommandExecutionException.class, () -> lettuce.replicaofNoOne());
        assertEquals("PONG", lettuce.ping());
    }

    @Test
    void configSetOfAnOrdinaryParameterIsAllowed() throws IOException {
        try (RespSocket s = fx.raw()) {
            assertEquals("OK", s.call("CONFIG", "SET", "hz", "20"));
            assertEquals(List.of("hz", "20"), s.call("CONFIG", "GET", "hz"));
            assertEquals("OK", s.call("CONFIG", "SET", "hz", "10"));
            assertEquals(List.of("hz", "10"), s.call("CONFIG", "GET", "hz"));
        }
        RedisCommands<String, String> lettuce = fx.connect().sync();
        assertEquals("OK", lettuce.configSet("slowlog-log-slower-than", "20000"));
        assertEquals(Map.of("slowlog-log-slower-than", "20000"), lettuce.configGet("slowlog-log-slower-than"));
    }
}
