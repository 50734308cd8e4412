package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket.Err;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.sync.RedisCommands;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** MULTI/EXEC, WATCH, DISCARD and errors inside transactions, compared with a plain redis-server. */
class TransactionsIT extends OneNodePerClass {
    @BeforeAll
    static void connectClients() {
        fx.directPort();
    }

    /** Runs the commands on keymesh and on the direct server (fresh connections); replies must be byte-identical. */
    private static void assertRepliesLikeRedis(String[]... commands) throws IOException {
        fx.flushAll();
        try (RespSocket k = fx.raw(); RespSocket d = fx.rawDirect()) {
            for (String[] command : commands) {
                assertEquals(d.callRaw(command), k.callRaw(command), "reply to " + String.join(" ", command));
            }
        }
    }

    private static String[] c(String... args) {
        return args;
    }

    @Test
    void execReturnsNilWhenAWatchedKeyWasChangedByAnotherClient() {
        RedisCommands<String, String> a = fx.connect().sync();
        RedisCommands<String, String> b = fx.connect().sync();
        a.set("balance", "100");
        assertEquals("OK", a.watch("balance"));
        assertEquals("OK", a.multi());
        assertNull(a.set("balance", "from-a"));       // queued: Lettuce returns null in MULTI
        assertEquals("OK", b.set("balance", "from-b"));
        TransactionResult result = a.exec();
        assertTrue(result.wasDiscarded(), "EXEC after a watched key changed must return nil");
        assertEquals("from-b", a.get("balance"));

        // the same client can run a transaction that succeeds right afterwards
        assertEquals("OK", a.watch("balance"));
        a.multi();
        a.set("balance", "from-a");
        a.incr("tx-count");
        TransactionResult ok = a.exec();
        assertFalse(ok.wasDiscarded());
        assertEquals(List.of("OK", 1L), ok.stream().toList());
        assertEquals("from-a", b.get("balance"));
    }

    @Test
    void transactionsWorkForResp3LettuceClients() {
        RedisCommands<String, String> a = fx.connect(io.lettuce.core.protocol.ProtocolVersion.RESP3).sync();
        RedisCommands<String, String> b = fx.connect(io.lettuce.core.protocol.ProtocolVersion.RESP3).sync();
        a.hset("h3", "f", "1");
        assertEquals("OK", a.watch("h3"));
        a.multi();
        a.hincrby("h3", "f", 5);
        a.hgetall("h3");
        TransactionResult ok = a.exec();
        assertFalse(ok.wasDiscarded());
        assertEquals(6L, (Long) ok.get(0));
        assertEquals(java.util.Map.of("f", "6"), ok.get(1));
        a.watch("h3");
        b.hset("h3", "f", "0");
        a.multi();
        a.hincrby("h3", "f", 5);
        assertTrue(a.exec().wasDiscarded());
        assertEquals("0", b.hget("h3", "f"));
    }

    @Test
    void watchedKeyChangeIsDetectedOverRawSocketsLikeRedis() throws IOException {
        try (RespSocket a = fx.raw(); RespSocket b = fx.raw()) {
            assertEquals("OK", a.call("WATCH", "w"));
            assertEquals("OK", b.call("SET", "w", "changed"));
            assertEquals("OK", a.call("MULTI"));
            assertEquals("QUEUED", a.call("SET", "w", "mine"));
            assertEquals("*-1\r\n", a.callRaw("EXEC"));
            assertEquals("changed", a.call("GET", "w"));
            assertEquals("OK", a.call("WATCH", "w"));
            assertEquals("OK", a.call("UNWATCH"));
            assertEquals("OK", b.call("SET", "w", "again"));
            assertEquals("OK", a.call("MULTI"));
            assertEquals("QUEUED", a.call("SET", "w", "mine"));
            assertEquals(List.of("OK"), a.call("EXEC"), "UNWATCH forgot the watched key");
        }
    }

    @Test
    void discardDropsQueuedCommands() throws IOException {
        RedisCommands<String, String> a = fx.connect().sync();
        a.set("d", "before");
        a.multi();
        a.set("d", "queued");
        a.incr("d-count");
        assertEquals("OK", a.discard());
        assertEquals("before", a.get("d"));
        assertEquals(0, a.exists("d-count"));
        assertRepliesLikeRedis(c("MULTI"), c("SET", "d", "x"), c("DISCARD"), c("GET", "d"), c("DISCARD"),
                c("EXEC"), c("MULTI"), c("MULTI"), c("EXEC"));
    }

    @Test
    void errorsInsideMultiAbortTheTransactionWithExecabort() throws IOException {
        try (RespSocket s = fx.raw()) {
            assertEquals("OK", s.call("MULTI"));
            assertEquals("QUEUED", s.call("SET", "a", "1"));
            Object unknown = s.call("NOSUCHCOMMAND", "x");
            assertInstanceOf(Err.class, unknown);
            assertTrue(((Err) unknown).message().startsWith("ERR unknown command 'NOSUCHCOMMAND'"), unknown.toString());
            assertEquals(new Err("EXECABORT Transaction discarded because of previous errors."), s.call("EXEC"));
            assertNull(s.call("GET", "a"), "nothing of the aborted transaction ran");
        }
        assertRepliesLikeRedis(
                c("MULTI"), c("SET", "a", "1"), c("GET"), c("SET", "b", "2"), c("EXEC"), c("GET", "a"),
                c("MULTI"), c("SET", "s", "str"), c("INCR", "s"), c("SET", "after", "ran"), c("EXEC"), c("GET", "after"),
                c("MULTI"), c("NOSUCHCOMMAND"), c("EXEC"), c("WATCH", "x"), c("MULTI"), c("WATCH", "y"), c("EXEC"));
    }

    @Test
    void selectInsideMultiSwitchesTheDatabaseWhenExecRuns() throws IOException {
        try (RespSocket s = fx.raw(); RespSocket db1 = fx.raw()) {
            assertEquals("OK", s.call("MULTI"));
            assertEquals("QUEUED", s.call("SELECT", "1"));
            assertEquals("QUEUED", s.call("SET", "tx-key", "in-db1"));
            assertEquals(List.of("OK", "OK"), s.call("EXEC"));
            assertEquals("in-db1", s.call("GET", "tx-key"), "the client stays in db 1 after EXEC");
            assertEquals("OK", db1.call("SELECT", "1"));
            assertEquals("in-db1", db1.call("GET", "tx-key"));
            String info = (String) s.call("CLIENT", "INFO");
            assertTrue(info.contains(" db=1 "), "CLIENT INFO reports db 1: " + info);
            assertEquals("OK", s.call("SELECT", "0"));
            assertNull(s.call("GET", "tx-key"));

            assertEquals("OK", s.call("MULTI"));
            assertEquals("QUEUED", s.call("SELECT", "1"));
            assertEquals("OK", s.call("DISCARD"));
            assertNull(s.call("GET", "tx-key"), "a discarded SELECT leaves the client in db 0");
            String after = (String) s.call("CLIENT", "INFO");
            assertTrue(after.contains(" db=0 "), "CLIENT INFO after a discarded SELECT: " + after);
        }
        assertRepliesLikeRedis(
                c("MULTI"), c("SELECT", "1"), c("SET", "k", "v1"), c("EXEC"), c("GET", "k"), c("SELECT", "0"),
                c("GET", "k"), c("MULTI"), c("SELECT", "2"), c("DISCARD"), c("SET", "k", "db0"), c("SELECT", "2"),
                c("GET", "k"), c("SELECT", "0"), c("MULTI"), c("SELECT", "99"), c("SET", "k", "v3"), c("EXEC"),
                c("GET", "k"));
    }

    /**
     * SUBSCRIBE inside MULTI is only queued (Redis subscribes at EXEC), so the session does not
     * switch to passing requests through: a refused command sent after a DISCARD is still refused
     * and the node's redis-server keeps running (the fuzzer found SHUTDOWN getting through).
     */
    @Test
    void subscribeQueuedInMultiLeavesRefusalsInPlace() throws IOException {
        try (RespSocket s = fx.raw()) {
            s.sendRaw(RespSocket.encode("MULTI")).sendRaw(RespSocket.encode("SUBSCRIBE", "ch"))
                    .sendRaw(RespSocket.encode("DISCARD")).sendRaw(RespSocket.encode("SHUTDOWN"))
                    .sendRaw(RespSocket.encode("PING"));
            assertEquals("OK", s.read());
            assertEquals("QUEUED", s.read());
            assertEquals("OK", s.read());
            assertInstanceOf(Err.class, s.read());
            assertEquals("PONG", s.read());
        }
        try (RespSocket s = fx.raw()) {
            assertEquals("PONG", s.call("PING"));
            assertEquals("OK", s.call("SET", "after-shutdown-attempt", "1"));
        }
        assertRepliesLikeRedis(c("MULTI"), c("SUBSCRIBE", "ch"), c("EXEC"), c("PING"), c("RESET"), c("PING"));
    }

    /**
     * A MULTI, EXEC or DISCARD with extra arguments is an arity error that leaves the transaction
     * state as it was: a SUBSCRIBE after a bad DISCARD is still only queued, and what follows the
     * real DISCARD gets its replies (keymesh once took the bad DISCARD for the end of the
     * transaction and waited for a reply Redis had only queued).
     */
    @Test
    void badArityTransactionCommandsLeaveTheTransactionAsItWas() throws IOException {
        try (RespSocket s = fx.raw()) {
            s.sendRaw(RespSocket.encode("MULTI")).sendRaw(RespSocket.encode("DISCARD", "x"))
                    .sendRaw(RespSocket.encode("SUBSCRIBE", "ch")).sendRaw(RespSocket.encode("DISCARD"))
                    .sendRaw(RespSocket.encode("MULTI", "x")).sendRaw(RespSocket.encode("SUBSCRIBE", "ch"))
                    .sendRaw(RespSocket.encode("UNSUBSCRIBE")).sendRaw(RespSocket.encode("PING", "tok"));
            assertEquals("OK", s.read());
            assertInstanceOf(Err.class, s.read());
            assertEquals("QUEUED", s.read());
            assertEquals("OK", s.read());
            assertInstanceOf(Err.class, s.read());
            assertEquals(List.of("subscribe", "ch", 1L), s.read());
            assertEquals(List.of("unsubscribe", "ch", 0L), s.read());
            assertEquals("tok", s.read());
        }
        assertRepliesLikeRedis(c("MULTI"), c("DISCARD", "x"), c("SUBSCRIBE", "ch"), c("DISCARD"), c("MULTI", "x"),
                c("PING"));
    }

    /**
     * An EXEC with extra arguments is refused, and unlike DISCARD it ends the transaction (Redis
     * answers EXECABORT): a SUBSCRIBE after it subscribes, and RESP3 requests behind it get their
     * replies (keymesh once kept the session in MULTI and waited for a QUEUED that never came;
     * fuzz client cases 172089, 172090 and 172102 of seed 20261207).
     */
    @Test
    void aBadArityExecEndsTheTransaction() throws IOException {
        try (RespSocket s = fx.raw()) {
            s.sendRaw(RespSocket.encode("MULTI")).sendRaw(RespSocket.encode("SET", "x", "1"))
                    .sendRaw(RespSocket.encode("EXEC", "x")).sendRaw(RespSocket.encode("SUBSCRIBE", "ch"))
                    .sendRaw(RespSocket.encode("UNSUBSCRIBE")).sendRaw(RespSocket.encode("PING", "tok"));
            assertEquals("OK", s.read());
            assertEquals("QUEUED", s.read());
            Object abort = s.read();
            assertTrue(abort instanceof Err e && e.message().startsWith("EXECABORT"), String.valueOf(abort));
            assertEquals(List.of("subscribe", "ch", 1L), s.read());
            assertEquals(List.of("unsubscribe", "ch", 0L), s.read());
            assertEquals("tok", s.read());
        }
        assertRepliesLikeRedis(c("MULTI"), c("SET", "x", "1"), c("EXEC", "x"), c("GET", "x"), c("EXEC"), c("PING"));
        try (RespSocket s = fx.raw()) {
            s.sendRaw(RespSocket.encode("MULTI")).sendRaw(RespSocket.encode("EXEC", "x"))
                    .sendRaw(RespSocket.encode("HELLO", "3")).sendRaw(RespSocket.encode("SSUBSCRIBE", "s"))
                    .sendRaw(RespSocket.encode("SUBSCRIBE", "ch")).sendRaw(RespSocket.encode("RESET"))
                    .sendRaw(RespSocket.encode("PING", "tok"));
            assertEquals("OK", s.read());
            assertInstanceOf(Err.class, s.read());
            assertInstanceOf(Map.class, s.read());
            assertEquals(new RespSocket.Push(List.of("ssubscribe", "s", 1L)), s.read());
            assertEquals(new RespSocket.Push(List.of("subscribe", "ch", 1L)), s.read());
            assertEquals("RESET", s.read());
            assertEquals("tok", s.read());
        }
    }
}
