package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.KeyValue;
import io.lettuce.core.LMoveArgs;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client blocked in BLPOP, BZPOPMIN, BLMOVE, XREAD BLOCK or WAIT must not stall other clients: while
 * it waits (5 s timeout), another client completes 1000 SET/GET round trips, the blocked call is
 * still pending afterwards, and it returns the value the other client then pushes.
 */
class BlockingCommandsIT extends OneNodePerClass {
    private static final int BLOCK_SECONDS = 5;
    private static RedisCommands<String, String> other;

    @BeforeAll
    static void connectClients() {
        other = fx.connect().sync();
    }

    /** Blocked clients as the backend counts them (INFO clients passes the backend's blocked_clients). */
    private static long blockedClients() {
        String info = other.info("clients");
        return info.lines().filter(l -> l.startsWith("blocked_clients:")).findFirst()
                .map(l -> Long.parseLong(l.substring("blocked_clients:".length()).trim()))
                .orElseThrow(() -> new AssertionError("INFO clients has no blocked_clients: " + info));
    }

    private static void awaitBlocked(long count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (blockedClients() != count) {
            assertTrue(System.nanoTime() < deadline, "the backend never saw " + count + " blocked client(s)");
            KeymeshFixture.sleep(5);
        }
    }

    /** 1000 SET/GET round trips by another client; returns their duration in ms. */
    private static long roundTrips(String prefix) {
        long t0 = System.nanoTime();
        for (int i = 0; i < 1000; i++) {
            assertEquals("OK", other.set(prefix + i, "v" + i));
            assertEquals("v" + i, other.get(prefix + i));
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private <T> T blockThenRelease(Function<RedisAsyncCommands<String, String>, RedisFuture<T>> block,
                                   Runnable release) throws Exception {
        RedisAsyncCommands<String, String> blocked = fx.connect().async();
        long t0 = System.nanoTime();
        RedisFuture<T> result = block.apply(blocked);
        awaitBlocked(1);
        long ms = roundTrips("rt:");
        long sinceBlock = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(sinceBlock < BLOCK_SECONDS * 1000L, "1000 round trips took " + ms + " ms, "
                + sinceBlock + " ms since the blocking call: other clients were stalled");
        assertFalse(result.isDone(), "the blocking call is still waiting after the round trips");
        assertEquals(1, blockedClients());
        release.run();
        T value = result.get(BLOCK_SECONDS, TimeUnit.SECONDS);
        assertTrue((System.nanoTime() - t0) / 1_000_000 < BLOCK_SECONDS * 1000L, "released before its timeout");
        return value;
    }

    @Test
    void blpopWaitsWithoutStallingOtherClientsAndGetsThePushedValue() throws Exception {
        KeyValue<String, String> popped = blockThenRelease(c -> c.blpop(BLOCK_SECONDS, "queue"),
                () -> assertEquals(1, other.rpush("queue", "job-1")));
        assertEquals(KeyValue.just("queue", "job-1"), popped);
        assertEquals(0, other.exists("queue"));
    }

    @Test
    void blpopOverARawSocketStaysSilentUntilAValueIsPushed() throws Exception {
        try (RespSocket blocked = fx.raw()) {
            blocked.send("BLPOP", "rawq", Integer.toString(BLOCK_SECONDS));
            awaitBlocked(1);
            long ms = roundTrips("raw:");
            assertTrue(ms < BLOCK_SECONDS * 1000L, "round trips took " + ms + " ms");
            assertTrue(blocked.silentFor(Duration.ofMillis(50)), "BLPOP has not answered yet");
            other.rpush("rawq", "x");
            assertEquals(List.of("rawq", "x"), blocked.read());
            assertEquals("PONG", blocked.call("PING"), "the connection works after the blocking call");
            blocked.send("BLPOP", "rawq", "0.1");
            assertEquals("*-1\r\n", blocked.readRaw(), "a timed-out BLPOP replies a null array");
        }
    }

    @Test
    void bzpopminWaitsWithoutStallingOtherClients() throws Exception {
        KeyValue<String, ScoredValue<String>> popped = blockThenRelease(c -> c.bzpopmin(BLOCK_SECONDS, "zq"),
                () -> other.zadd("zq", 2.5, "member"));
        assertEquals("zq", popped.getKey());
        assertEquals(ScoredValue.just(2.5, "member"), popped.getValue());
    }

    @Test
    void blmoveWaitsWithoutStallingOtherClients() throws Exception {
        String moved = blockThenRelease(c -> c.blmove("src", "dst", LMoveArgs.Builder.leftRight(), BLOCK_SECONDS),
                () -> other.rpush("src", "item"));
        assertEquals("item", moved);
        assertEquals(List.of("item"), other.lrange("dst", 0, -1));
    }

    @Test
    void xreadBlockWaitsWithoutStallingOtherClients() throws Exception {
        other.xadd("events", Map.of("seed", "0"));
        List<StreamMessage<String, String>> read = blockThenRelease(
                c -> c.xread(XReadArgs.Builder.block(BLOCK_SECONDS * 1000L), XReadArgs.StreamOffset.latest("events")),
                () -> other.xadd("events", Map.of("k", "v")));
        assertEquals(1, read.size());
        assertEquals(Map.of("k", "v"), read.get(0).getBody());
    }

    @Test
    void waitWithNoReplicasReturnsZeroWithoutStallingOthers() throws Exception {
        RedisAsyncCommands<String, String> waiting = fx.connect().async();
        long t0 = System.nanoTime();
        RedisFuture<Long> replicas = waiting.waitForReplication(0, 100);
        long ms = roundTrips("w:");
        assertEquals(0L, replicas.get(5, TimeUnit.SECONDS));
        long total = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(total < 5000, "WAIT 0 100 and 1000 round trips took " + total + " ms (round trips " + ms + " ms)");
        try (RespSocket s = fx.raw()) {
            assertEquals(0L, s.call("WAIT", "0", "100"));
            assertEquals("PONG", s.call("PING"));
        }
    }

    @Test
    void blockingCallOnOneConnectionDoesNotDelayPipelinedCommandsOfManyOthers() throws Exception {
        RedisAsyncCommands<String, String> b1 = fx.connect().async();
        RedisAsyncCommands<String, String> b2 = fx.connect().async();
        RedisFuture<KeyValue<String, String>> f1 = b1.brpop(BLOCK_SECONDS, "many1");
        RedisFuture<KeyValue<String, String>> f2 = b2.brpop(BLOCK_SECONDS, "many2");
        awaitBlocked(2);
        long t0 = System.nanoTime();
        for (int c = 0; c < 4; c++) {
            RedisCommands<String, String> client = fx.connect().sync();
            for (int i = 0; i < 100; i++) {
                assertEquals((long) i + 1, client.incr("ctr" + c));
            }
        }
        assertTrue((System.nanoTime() - t0) / 1_000_000 < BLOCK_SECONDS * 1000L);
        assertFalse(f1.isDone() || f2.isDone());
        other.rpush("many2", "b");
        other.rpush("many1", "a");
        assertEquals(KeyValue.just("many1", "a"), f1.get(5, TimeUnit.SECONDS));
        assertEquals(KeyValue.just("many2", "b"), f2.get(5, TimeUnit.SECONDS));
        assertNull(other.get("nothing"));
    }
}
