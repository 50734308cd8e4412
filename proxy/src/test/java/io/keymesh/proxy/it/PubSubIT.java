package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket.Push;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Pub/sub through keymesh: Lettuce RESP2 and RESP3 subscribers, raw sockets, and redis-cli. */
class PubSubIT extends OneNodePerClass {
    private static RedisCommands<String, String> publisher;

    @BeforeAll
    static void connectClients() {
        publisher = fx.connect().sync();
    }

    /** Collects every message a Lettuce pub/sub connection receives as "channel|message" or "pattern|channel|message". */
    private static BlockingQueue<String> listen(StatefulRedisPubSubConnection<String, String> connection) {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        connection.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
                received.add(channel + "|" + message);
            }

            @Override
            public void message(String pattern, String channel, String message) {
                received.add(pattern + "|" + channel + "|" + message);
            }
        });
        return received;
    }

    private static String next(BlockingQueue<String> queue) throws InterruptedException {
        String value = queue.poll(5, TimeUnit.SECONDS);
        assertTrue(value != null, "no message within 5 s");
        return value;
    }

    @Test
    void lettuceResp2SubscribeAndPsubscribeReceiveMessagesUntilUnsubscribed() throws Exception {
        StatefulRedisPubSubConnection<String, String> sub = fx.connectPubSub(ProtocolVersion.RESP2);
        BlockingQueue<String> received = listen(sub);
        sub.sync().subscribe("news");
        sub.sync().psubscribe("sport.*");
        assertEquals(1, publisher.publish("news", "n1"));
        assertEquals(1, publisher.publish("sport.tennis", "s1"));
        assertEquals(0, publisher.publish("weather", "w1"));
        assertEquals("news|n1", next(received));
        assertEquals("sport.*|sport.tennis|s1", next(received));
        assertEquals(Map.of("news", 1L), publisher.pubsubNumsub("news"));
        assertEquals(1, publisher.pubsubNumpat());

        sub.sync().unsubscribe("news");
        assertEquals(0, publisher.publish("news", "n2"), "no subscriber after UNSUBSCRIBE");
        assertEquals(1, publisher.publish("sport.golf", "s2"));
        assertEquals("sport.*|sport.golf|s2", next(received));
        sub.sync().punsubscribe("sport.*");
        assertEquals(0, publisher.publish("sport.golf", "s3"));
        assertNull(received.poll(200, TimeUnit.MILLISECONDS), "nothing arrives after unsubscribing");
    }

    @Test
    void lettuceResp3SubscriberReceivesPushesAndRunsGetOnTheSameConnection() throws Exception {
        StatefulRedisPubSubConnection<String, String> sub = fx.connectPubSub(ProtocolVersion.RESP3);
        BlockingQueue<String> received = listen(sub);
        sub.sync().subscribe("r3");
        publisher.set("plain", "value");
        assertEquals("value", sub.sync().get("plain"), "GET while subscribed (RESP3)");
        assertEquals(1, publisher.publish("r3", "pushed"));
        assertEquals("r3|pushed", next(received));
        assertEquals("value", sub.sync().get("plain"));
        assertEquals("PONG", sub.sync().ping());
        assertEquals(1, publisher.publish("r3", "again"));
        assertEquals("r3|again", next(received));
    }

    @Test
    void rawResp3SubscriberInterleavesPushesWithReplies() throws IOException {
        try (RespSocket s = fx.raw()) {
            s.call("HELLO", "3");
            assertEquals(new Push(List.of("subscribe", "c3", 1L)), s.call("SUBSCRIBE", "c3"));
            assertEquals("OK", s.call("SET", "k3", "v3"));
            assertEquals(1L, publisher.publish("c3", "m1"));
            assertEquals(new Push(List.of("message", "c3", "m1")), s.read());
            assertEquals("v3", s.call("GET", "k3"));
            assertEquals(1L, s.call("HSET", "h3", "f", "v"));
            assertEquals(Map.of("f", "v"), s.call("HGETALL", "h3"), "a RESP3 map while subscribed");
            assertEquals(new Push(List.of("unsubscribe", "c3", 0L)), s.call("UNSUBSCRIBE", "c3"));
            assertEquals("PONG", s.call("PING"));
        }
    }

    @Test
    void pingInResp2SubscribeModeRepliesLikeRedis() throws IOException {
        try (RespSocket k = fx.raw(); RespSocket d = fx.rawDirect()) {
            String[][] script = {{"SUBSCRIBE", "a", "b"}, {"PING"}, {"PING", "hello"}, {"PSUBSCRIBE", "p*"},
                {"GET", "x"}, {"UNSUBSCRIBE", "a", "b"}, {"PUNSUBSCRIBE"}, {"PING"}, {"GET", "x"}, {"UNSUBSCRIBE"}};
            int[] frames = {2, 1, 1, 1, 1, 2, 1, 1, 1, 1};
            for (int i = 0; i < script.length; i++) {
                k.send(script[i]);
                d.send(script[i]);
                for (int f = 0; f < frames[i]; f++) {
                    assertEquals(d.readRaw(), k.readRaw(), "frame " + f + " of the reply to " + String.join(" ", script[i]));
                }
            }
        }
        try (RespSocket s = fx.raw()) {
            s.send("SUBSCRIBE", "ch");
            assertEquals(List.of("subscribe", "ch", 1L), s.read());
            assertEquals(List.of("pong", ""), s.call("PING"));
            assertEquals(List.of("pong", "x"), s.call("PING", "x"));
        }
    }

    @Test
    void unsubscribingFromEverythingReturnsTheConnectionToNormalCommands() throws IOException {
        try (RespSocket s = fx.raw()) {
            long id = (Long) s.call("CLIENT", "ID");
            assertEquals("OK", s.call("CLIENT", "SETNAME", "subscriber"));
            assertEquals(List.of("subscribe", "u1", 1L), s.call("SUBSCRIBE", "u1"));
            assertEquals(1L, publisher.publish("u1", "hi"));
            assertEquals(List.of("message", "u1", "hi"), s.read());
            assertEquals(List.of("unsubscribe", "u1", 0L), s.call("UNSUBSCRIBE"));
            assertEquals(0L, publisher.publish("u1", "nobody"));
            assertEquals("OK", s.call("SET", "after", "1"));
            assertEquals("1", s.call("GET", "after"));
            assertEquals("PONG", s.call("PING"), "PING in normal mode is a simple string again");
            assertEquals(id, s.call("CLIENT", "ID"), "CLIENT ID is still keymesh's id for this connection");
            assertEquals("subscriber", s.call("CLIENT", "GETNAME"));
            assertEquals("OK", s.call("SELECT", "1"));
            assertNull(s.call("GET", "after"));
            String info = (String) s.call("CLIENT", "INFO");
            assertTrue(info.contains(" db=1 ") && info.contains("id=" + id + " "), info);
            Object keymeshInfo = s.call("INFO", "keymesh");
            assertTrue(keymeshInfo instanceof String str && str.contains("# Keymesh"), "INFO keymesh: " + keymeshInfo);
        }
    }

    @Test
    void commandsPipelinedBehindTheLastUnsubscribeAreAnsweredInOrder() throws IOException {
        try (RespSocket s = fx.raw()) {
            long id = (Long) s.call("CLIENT", "ID");
            assertEquals(List.of("subscribe", "p1", 1L), s.call("SUBSCRIBE", "p1"));
            java.io.ByteArrayOutputStream batch = new java.io.ByteArrayOutputStream();
            RespSocket.encodeInto(batch, "UNSUBSCRIBE", "p1");
            RespSocket.encodeInto(batch, "SET", "pk", "pv");
            RespSocket.encodeInto(batch, "PING");
            RespSocket.encodeInto(batch, "GET", "pk");
            s.sendRaw(batch.toByteArray());
            assertEquals(List.of("unsubscribe", "p1", 0L), s.read());
            assertEquals("OK", s.read());
            assertEquals("+PONG\r\n", s.readRaw());
            assertEquals("pv", s.read());
            assertEquals(id, s.call("CLIENT", "ID"));
            assertEquals(List.of("subscribe", "p2", 1L), s.call("SUBSCRIBE", "p2"), "subscribing again works");
            assertEquals(1L, publisher.publish("p2", "second"));
            assertEquals(List.of("message", "p2", "second"), s.read());
        }
    }

    @Test
    void resetInSubscribeModeLeavesItAndClearsTheConnectionState() throws IOException {
        try (RespSocket s = fx.raw()) {
            long id = (Long) s.call("CLIENT", "ID");
            assertEquals("OK", s.call("CLIENT", "SETNAME", "will-reset"));
            assertEquals("OK", s.call("SELECT", "2"));
            assertEquals(List.of("subscribe", "rs", 1L), s.call("SUBSCRIBE", "rs"));
            assertEquals("RESET", s.call("RESET"));
            assertEquals(0L, publisher.publish("rs", "gone"));
            assertNull(s.call("CLIENT", "GETNAME"), "RESET cleared the name");
            assertEquals(id, s.call("CLIENT", "ID"));
            assertEquals("OK", s.call("SET", "after-reset", "db0"));
            assertEquals("db0", publisher.get("after-reset"), "RESET went back to db 0");
            String info = (String) s.call("CLIENT", "INFO");
            assertTrue(info.contains(" db=0 ") && info.contains(" name= "), info);
        }
    }

    @Test
    void ssubscribeReceivesShardMessages() throws IOException {
        try (RespSocket s = fx.raw()) {
            assertEquals(List.of("ssubscribe", "shard-ch", 1L), s.call("SSUBSCRIBE", "shard-ch"));
            assertEquals(1L, KeymeshFixture.call(fx.connect(), "SPUBLISH", "shard-ch", "shard-msg"));
            assertEquals(List.of("smessage", "shard-ch", "shard-msg"), s.read());
            assertEquals(List.of("sunsubscribe", "shard-ch", 0L), s.call("SUNSUBSCRIBE", "shard-ch"));
            assertEquals(0L, KeymeshFixture.call(fx.connect(), "SPUBLISH", "shard-ch", "late"));
        }
    }

    @Test
    void redisCliSubscriberPrintsEachPublishedMessageExactlyOnce() throws Exception {
        Path out = fx.tempFile("cli-subscribe.out");
        Process cli = fx.redisCliInBackground(out, "subscribe", "cli-ch");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (publisher.pubsubNumsub("cli-ch").get("cli-ch") != 1L) {
            assertTrue(cli.isAlive(), "redis-cli exited: " + Files.readString(out));
            assertTrue(System.nanoTime() < deadline, "redis-cli never subscribed: " + Files.readString(out));
            KeymeshFixture.sleep(20);
        }
        String payload = "payload-" + System.nanoTime();
        assertEquals(1, publisher.publish("cli-ch", payload));
        String output = "";
        while (!output.contains(payload)) {
            assertTrue(System.nanoTime() < deadline, "redis-cli did not print the message: " + output);
            KeymeshFixture.sleep(20);
            output = Files.readString(out);
        }
        KeymeshFixture.sleep(200);
        output = Files.readString(out);
        assertEquals(1, output.split(payload, -1).length - 1, "the message appears exactly once:\n" + output);
        assertTrue(output.contains("subscribe\ncli-ch\n1\n"), output);
        assertTrue(output.contains("message\ncli-ch\n" + payload + "\n"), output);
        cli.destroy();
        assertTrue(cli.waitFor(5, TimeUnit.SECONDS));
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (publisher.pubsubNumsub("cli-ch").get("cli-ch") != 0L) {
            assertTrue(System.nanoTime() < deadline, "the subscription outlived redis-cli");
            KeymeshFixture.sleep(20);
        }
    }

    @Test
    void redisCliPsubscriberReceivesPatternMessages() throws Exception {
        Path out = fx.tempFile("cli-psubscribe.out");
        Process cli = fx.redisCliInBackground(out, "psubscribe", "cli.*");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (publisher.pubsubNumpat() != 1L) {
            assertTrue(cli.isAlive() && System.nanoTime() < deadline, "redis-cli never subscribed: " + Files.readString(out));
            KeymeshFixture.sleep(20);
        }
        assertEquals(1, publisher.publish("cli.one", "pm"));
        String output = "";
        while (!output.contains("pmessage\ncli.*\ncli.one\npm\n")) {
            assertTrue(System.nanoTime() < deadline, "redis-cli did not print the pattern message: " + output);
            KeymeshFixture.sleep(20);
            output = Files.readString(out);
        }
        cli.destroy();
        assertTrue(cli.waitFor(5, TimeUnit.SECONDS));
        while (publisher.pubsubNumpat() != 0L) {
            assertTrue(System.nanoTime() < deadline, "the pattern subscription outlived redis-cli");
            KeymeshFixture.sleep(20);
        }
    }

    @Test
    void subscriberInResp2IsReportedAsPubsubClientAndPublishCountsIt() throws IOException {
        try (RespSocket s = fx.raw(); RespSocket observer = fx.raw()) {
            long id = (Long) s.call("CLIENT", "ID");
            s.send("SUBSCRIBE", "seen");
            assertInstanceOf(List.class, s.read());
            String list = (String) observer.call("CLIENT", "LIST", "TYPE", "pubsub");
            assertTrue(list.contains("id=" + id + " "), "CLIENT LIST TYPE pubsub shows the subscriber: " + list);
            assertEquals(1L, observer.call("PUBLISH", "seen", "x"));
            assertEquals(List.of("message", "seen", "x"), s.read());
        }
    }

    // ---- leaving subscribe mode with requests already behind the command ---------------------

    private static final String SHUTDOWN_REFUSED =
            "ERR SHUTDOWN is not allowed through keymesh: the node manages its redis-server; stop keymesh instead";

    private static byte[] oneWrite(String[]... requests) {
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        for (String[] r : requests) {
            RespSocket.encodeInto(buf, r);
        }
        return buf.toByteArray();
    }

    private static String[] c(String... args) {
        return args;
    }

    /** The node's redis-server still runs and keymesh's vetoes held: what a user checks after the attempt. */
    private static void assertBackendUntouched() throws IOException {
        try (RespSocket s = fx.raw()) {
            assertEquals("PONG", s.call("PING"));
            assertEquals(List.of("maxmemory-policy", "noeviction"), s.call("CONFIG", "GET", "maxmemory-policy"));
        }
    }

    /**
     * RESP2: requests written together with an UNSUBSCRIBE that ends subscribe mode are dispatched
     * by keymesh once the mode is known: SHUTDOWN and a CONFIG SET that would endanger the metadata
     * are refused (not run by redis-server), a write takes keymesh's write path, and every reply
     * comes in order.
     */
    @Test
    void requestsWrittenWithAnUnsubscribeAreDispatchedByKeymesh() throws IOException {
        try (RespSocket s = fx.raw()) {
            s.sendRaw(oneWrite(c("SUBSCRIBE", "x"), c("UNSUBSCRIBE"), c("SHUTDOWN"),
                    c("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), c("SET", "after-unsub", "1"), c("PING", "tok")));
            assertEquals(List.of("subscribe", "x", 1L), s.read());
            assertEquals(List.of("unsubscribe", "x", 0L), s.read());
            assertEquals(new RespSocket.Err(SHUTDOWN_REFUSED), s.read());
            Object veto = s.read();
            assertTrue(veto instanceof RespSocket.Err e && e.message().contains("not allowed through keymesh"), "vetoed: " + veto);
            assertEquals("OK", s.read());
            assertEquals("tok", s.read());
            assertEquals("1", s.call("GET", "after-unsub"));
        }
        assertBackendUntouched();
    }

    /** RESP2: a RESET or a failed SUBSCRIBE written together with later requests leaves them to keymesh as well. */
    @Test
    void requestsWrittenWithAResetOrAFailedSubscribeAreDispatchedByKeymesh() throws IOException {
        try (RespSocket s = fx.raw()) {
            s.sendRaw(oneWrite(c("SUBSCRIBE", "x"), c("RESET"), c("SHUTDOWN"), c("PING", "t1")));
            assertEquals(List.of("subscribe", "x", 1L), s.read());
            assertEquals("RESET", s.read());
            assertEquals(new RespSocket.Err(SHUTDOWN_REFUSED), s.read());
            assertEquals("t1", s.read());
        }
        try (RespSocket s = fx.raw()) {
            s.sendRaw(oneWrite(c("SUBSCRIBE"), c("SHUTDOWN"), c("PING", "t2")));
            assertInstanceOf(RespSocket.Err.class, s.read(), "SUBSCRIBE without a channel is an arity error");
            assertEquals(new RespSocket.Err(SHUTDOWN_REFUSED), s.read());
            assertEquals("t2", s.read());
        }
        assertBackendUntouched();
    }

    /**
     * RESP2: every request written behind an UNSUBSCRIBE gets its reply, whether the UNSUBSCRIBE
     * finds nothing subscribed, names several channels or is followed by RESET.
     */
    @Test
    void everyRequestWrittenBehindAnUnsubscribeGetsItsReply() throws IOException {
        try (RespSocket s = fx.raw()) {
            s.sendRaw(oneWrite(c("UNSUBSCRIBE", "ch1"), c("RESET"), c("PING", "t1")));
            assertEquals(java.util.Arrays.asList("unsubscribe", "ch1", 0L), s.read());
            assertEquals("RESET", s.read());
            assertEquals("t1", s.read());

            s.sendRaw(oneWrite(c("SUBSCRIBE", "a", "b"), c("UNSUBSCRIBE", "a", "b", "c"), c("PING", "t2"),
                    c("GET", "none")));
            assertEquals(List.of("subscribe", "a", 1L), s.read());
            assertEquals(List.of("subscribe", "b", 2L), s.read());
            assertEquals(List.of("unsubscribe", "a", 1L), s.read());
            assertEquals(List.of("unsubscribe", "b", 0L), s.read());
            assertEquals(List.of("unsubscribe", "c", 0L), s.read());
            assertEquals("t2", s.read());
            assertNull(s.read());

            s.sendRaw(oneWrite(c("PSUBSCRIBE", "p*"), c("SUBSCRIBE", "d"), c("UNSUBSCRIBE"), c("PING", "t3")));
            assertEquals(List.of("psubscribe", "p*", 1L), s.read());
            assertEquals(List.of("subscribe", "d", 2L), s.read());
            assertEquals(List.of("unsubscribe", "d", 1L), s.read());
            assertEquals(List.of("pong", "t3"), s.read(), "still subscribed to the pattern: PING answers as a subscriber");
            try (RespSocket publisherSocket = fx.raw()) {
                assertEquals(1L, publisherSocket.call("PUBLISH", "pq", "m"));
            }
            assertEquals(List.of("pmessage", "p*", "pq", "m"), s.read());
            assertEquals(List.of("punsubscribe", "p*", 0L), s.call("PUNSUBSCRIBE"));
            assertEquals("PONG", s.call("PING"));
        }
    }

    /** RESP3: a subscribe confirmation comes before the reply of a request written after the SUBSCRIBE. */
    @Test
    void resp3SubscribeConfirmationKeepsItsPlaceBeforeLaterReplies() throws IOException {
        try (RespSocket s = fx.raw()) {
            s.sendRaw(oneWrite(c("HELLO", "3"), c("SUBSCRIBE", "x"), c("SHUTDOWN"), c("PING", "tok")));
            assertInstanceOf(Map.class, s.read());
            assertEquals(new Push(List.of("subscribe", "x", 1L)), s.read());
            assertEquals(new RespSocket.Err(SHUTDOWN_REFUSED), s.read());
            assertEquals("tok", s.read());
        }
        assertBackendUntouched();
    }
}
