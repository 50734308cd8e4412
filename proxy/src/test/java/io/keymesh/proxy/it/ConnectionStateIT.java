package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket.Err;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Per-connection state keymesh keeps for each client: SELECT, CLIENT ..., RESET, QUIT, ECHO. */
class ConnectionStateIT extends OneNodePerClass {
    @Test
    void clientsInDifferentDatabasesDoNotSeeEachOthersKeys() throws IOException {
        StatefulRedisConnection<String, String> a = fx.connect();
        StatefulRedisConnection<String, String> b = fx.connect();
        RedisCommands<String, String> inDb3 = a.sync();
        RedisCommands<String, String> inDb0 = b.sync();
        assertEquals("OK", inDb3.select(3));
        for (int i = 0; i < 200; i++) {          // interleaved, so both go over the node's shared backend links
            inDb3.set("k" + i, "db3-" + i);
            inDb0.set("k" + i, "db0-" + i);
            inDb3.set("only3-" + i, "x");
        }
        for (int i = 0; i < 200; i++) {
            assertEquals("db3-" + i, inDb3.get("k" + i));
            assertEquals("db0-" + i, inDb0.get("k" + i));
        }
        assertEquals(0, inDb0.exists("only3-0"));
        assertEquals(400, inDb3.dbsize());
        assertEquals(200, inDb0.dbsize());
        try (RespSocket third = fx.raw()) {
            assertEquals("OK", third.call("SELECT", "3"));
            assertEquals("db3-7", third.call("GET", "k7"));
            assertEquals("OK", third.call("SELECT", "0"));
            assertEquals("db0-7", third.call("GET", "k7"));
            assertEquals(0L, third.call("EXISTS", "only3-0"));
        }
    }

    @Test
    void selectOutOfRangeIsRefusedWithRedisErrorAndKeepsTheDatabase() throws IOException {
        try (RespSocket s = fx.raw(); RespSocket direct = fx.rawDirect()) {
            assertEquals("OK", s.call("SELECT", "5"));
            assertEquals("OK", s.call("SET", "where", "db5"));
            assertEquals(new Err("ERR DB index is out of range"), s.call("SELECT", "16"));
            assertEquals(new Err("ERR DB index is out of range"), s.call("SELECT", "-1"));
            assertEquals("db5", s.call("GET", "where"), "a refused SELECT leaves the client in its database");
            for (String[] command : new String[][] {{"SELECT", "16"}, {"SELECT", "99999999999"}, {"SELECT", "abc"},
                    {"SELECT"}, {"SELECT", "1", "2"}}) {
                assertEquals(direct.callRaw(command), s.callRaw(command), String.join(" ", command));
            }
        }
        RedisCommandExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                RedisCommandExecutionException.class, () -> fx.connect().sync().select(16));
        assertEquals("ERR DB index is out of range", e.getMessage());
    }

    @Test
    void clientSetnameGetnameIdInfoAndListDescribeEachConnection() throws IOException {
        try (RespSocket a = fx.raw(); RespSocket b = fx.raw()) {
            assertNull(a.call("CLIENT", "GETNAME"));
            assertEquals("OK", a.call("CLIENT", "SETNAME", "alpha"));
            assertEquals("OK", b.call("CLIENT", "SETNAME", "beta"));
            assertEquals("alpha", a.call("CLIENT", "GETNAME"));
            assertEquals("beta", b.call("CLIENT", "GETNAME"));
            assertEquals(new Err("ERR Client names cannot contain spaces, newlines or special characters."),
                    a.call("CLIENT", "SETNAME", "has space"));
            long idA = (Long) a.call("CLIENT", "ID");
            long idB = (Long) b.call("CLIENT", "ID");
            assertNotEquals(idA, idB);
            assertEquals(idA, a.call("CLIENT", "ID"), "CLIENT ID is stable");

            String info = (String) a.call("CLIENT", "INFO");
            assertTrue(info.startsWith("id=" + idA + " "), info);
            assertTrue(info.contains(" name=alpha "), info);
            assertTrue(info.contains(" db=0 "), info);
            assertTrue(info.endsWith("\n"), info);

            String list = (String) b.call("CLIENT", "LIST");
            String lineA = lineWithId(list, idA);
            String lineB = lineWithId(list, idB);
            assertTrue(lineA.contains(" name=alpha "), list);
            assertTrue(lineB.contains(" name=beta "), list);
            assertTrue(lineB.contains(" cmd=client|list "), list);
            assertTrue(lineA.contains(" addr=127.0.0.1:" + a.socket().getLocalPort() + " "), list);

            String onlyA = (String) b.call("CLIENT", "LIST", "ID", Long.toString(idA));
            assertEquals(1, onlyA.lines().count(), onlyA);
            assertTrue(onlyA.startsWith("id=" + idA + " "), onlyA);
        }
    }

    private static String lineWithId(String clientList, long id) {
        return clientList.lines().filter(l -> l.startsWith("id=" + id + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("CLIENT LIST has no client id=" + id + ":\n" + clientList));
    }

    @Test
    void clientKillIdClosesTheOtherConnectionOnly() throws IOException {
        try (RespSocket killer = fx.raw(); RespSocket victim = fx.raw()) {
            long victimId = (Long) victim.call("CLIENT", "ID");
            assertEquals("PONG", victim.call("PING"));
            assertEquals(1L, killer.call("CLIENT", "KILL", "ID", Long.toString(victimId)));
            assertTrue(victim.closedByPeer(Duration.ofSeconds(5)), "the killed connection is closed");
            assertEquals("PONG", killer.call("PING"), "the killer's connection keeps working");
            assertEquals(0L, killer.call("CLIENT", "KILL", "ID", Long.toString(victimId)), "already gone");
            String list = (String) killer.call("CLIENT", "LIST");
            assertTrue(list.lines().noneMatch(l -> l.startsWith("id=" + victimId + " ")), list);
        }
    }

    @Test
    void clientReplyOffOnAndSkipControlWhichRepliesAreSent() throws IOException {
        try (RespSocket s = fx.raw()) {
            s.send("CLIENT", "REPLY", "OFF");
            s.send("SET", "r1", "one");
            s.send("GET", "r1");
            s.send("INCR", "counter");
            s.send("CLIENT", "ID");
            s.send("CLIENT", "REPLY", "ON");
            assertEquals("+OK\r\n", s.readRaw(), "the first reply after OFF is the OK of CLIENT REPLY ON");
            assertEquals("one", s.call("GET", "r1"), "commands sent while OFF were executed");
            assertEquals("1", s.call("GET", "counter"));

            s.send("CLIENT", "REPLY", "SKIP");
            s.send("SET", "r2", "two");
            s.send("GET", "r2");
            assertEquals("$3\r\ntwo\r\n", s.readRaw(), "SKIP dropped only the SET's reply");
            assertTrue(s.silentFor(Duration.ofMillis(200)), "nothing else was sent");
            assertEquals("PONG", s.call("PING"));
        }
    }

    @Test
    void resetRepliesResetAndRestoresDatabaseNameAndTransactionState() throws IOException {
        try (RespSocket s = fx.raw()) {
            assertEquals("OK", s.call("SET", "k", "db0"));
            assertEquals("OK", s.call("SELECT", "2"));
            assertEquals("OK", s.call("SET", "k", "db2"));
            assertEquals("OK", s.call("CLIENT", "SETNAME", "before-reset"));
            assertEquals("RESET", s.call("RESET"));
            assertNull(s.call("CLIENT", "GETNAME"));
            assertEquals("db0", s.call("GET", "k"));
            assertTrue(((String) s.call("CLIENT", "INFO")).contains(" db=0 "));

            // again with the connection pinned to its own backend connection (inside MULTI)
            assertEquals("OK", s.call("SELECT", "2"));
            assertEquals("OK", s.call("CLIENT", "SETNAME", "in-multi"));
            assertEquals("OK", s.call("MULTI"));
            assertEquals("QUEUED", s.call("SET", "k", "never"));
            assertEquals("RESET", s.call("RESET"));
            assertEquals(new Err("ERR EXEC without MULTI"), s.call("EXEC"));
            assertNull(s.call("CLIENT", "GETNAME"));
            assertEquals("db0", s.call("GET", "k"));
            assertEquals("OK", s.call("SELECT", "2"));
            assertEquals("db2", s.call("GET", "k"), "the discarded SET never ran");
            String info = (String) s.call("CLIENT", "INFO");
            assertTrue(info.contains(" db=2 "), info);
        }
    }

    @Test
    void quitRepliesOkAndClosesTheConnection() throws IOException {
        try (RespSocket s = fx.raw()) {
            s.send("SET", "q", "1");
            s.send("QUIT");
            s.send("GET", "q");
            assertEquals("OK", s.read());
            assertEquals("OK", s.read(), "QUIT replies OK");
            assertTrue(s.closedByPeer(Duration.ofSeconds(5)), "the connection is closed after QUIT, GET unanswered");
        }
        try (RespSocket other = fx.raw()) {
            assertEquals("1", other.call("GET", "q"));
        }
    }

    @Test
    void echoReturnsItsArgumentIncludingBinaryAndEmpty() throws IOException {
        try (RespSocket s = fx.raw(); RespSocket direct = fx.rawDirect()) {
            assertEquals("hello", s.call("ECHO", "hello"));
            assertEquals("", s.call("ECHO", ""));
            for (String[] command : new String[][] {{"ECHO", "a\r\nb"}, {"ECHO", "é"}, {"ECHO"}, {"ECHO", "a", "b"}}) {
                assertEquals(direct.callRaw(command), s.callRaw(command), String.join(" ", command));
            }
        }
        assertEquals("lettuce", fx.connect().sync().echo("lettuce"));
    }

    @Test
    void unknownClientSubcommandGetsRedisError() throws IOException {
        try (RespSocket s = fx.raw()) {
            Object reply = s.call("CLIENT", "NOSUCHSUB");
            assertInstanceOf(Err.class, reply);
            assertTrue(((Err) reply).message().startsWith("ERR unknown subcommand 'NOSUCHSUB'"), reply.toString());
            assertEquals("PONG", s.call("PING"));
        }
    }
}
