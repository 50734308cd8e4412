package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.protocol.ProtocolVersion;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Pipelined requests: replies come back complete and in request order, also when some requests are
 * answered by keymesh itself (CLIENT ID, SELECT) and others by the backend.
 */
class PipeliningIT extends OneNodePerClass {
    /**
     * A plain SET joins a run that the backend link may hold open while the run before it is
     * unanswered (only with replication on: a node without it sends writes as they are). Here a slow
     * script keeps the backend busy while another client's run waits behind it unanswered, so this
     * client's SET is held when its next request goes out on another link: a blocking command (a
     * link of its own) or HELLO 3 (the RESP3 link). The SET must still run first.
     */
    @Test
    void aSetHeldInARunRunsBeforeTheSameClientsNextRequestOnAnotherLink() throws Exception {
        try (KeymeshFixture one = KeymeshFixture.start(Map.of("keymesh.io-threads", 1, "keymesh.replication.enabled", "true"))) {
            try (RespSocket resp3 = one.raw()) {
                resp3.call("HELLO", "3");
                resp3.call("GET", "held:warm");             // the loop's RESP3 link is open
            }
            for (String next : new String[] {"BLPOP", "HELLO"}) {
                try (RespSocket slow = one.raw(); RespSocket other = one.raw(); RespSocket client = one.raw()) {
                    client.call("RPUSH", "held:list", "x");
                    slow.send("EVAL", "local i = 0 while i < 20000000 do i = i + 1 end return i", "0");
                    Thread.sleep(50);                       // the script runs
                    other.send("SET", "held:other", "1");   // a run that waits behind it, unanswered
                    Thread.sleep(50);
                    ByteArrayOutputStream batch = new ByteArrayOutputStream();
                    RespSocket.encodeInto(batch, "SET", "held:" + next, "v");
                    if (next.equals("BLPOP")) {
                        RespSocket.encodeInto(batch, "BLPOP", "held:list", "1");
                    } else {
                        RespSocket.encodeInto(batch, "HELLO", "3");
                    }
                    RespSocket.encodeInto(batch, "GET", "held:" + next);
                    client.sendRaw(batch.toByteArray());
                    client.timeout(Duration.ofSeconds(20));
                    assertEquals("OK", client.read());
                    client.read();                          // BLPOP's [list, x], or HELLO's map
                    assertEquals("v", client.read(), "the GET after " + next + " ran after the SET before it");
                    slow.timeout(Duration.ofSeconds(20));
                    assertEquals(20000000L, slow.read());
                    other.timeout(Duration.ofSeconds(20));
                    assertEquals("OK", other.read());
                }
            }
        }
    }

    @Test
    void tenThousandMixedCommandsWrittenInOneGoAreAnsweredInOrder() throws IOException {
        try (RespSocket s = fx.raw()) {
            long clientId = (Long) s.call("CLIENT", "ID");
            ByteArrayOutputStream batch = new ByteArrayOutputStream(1 << 20);
            List<Object> expected = new ArrayList<>();
            long counter = 0;
            for (int i = 0; i < 10_000; i++) {
                switch (i % 8) {
                    case 0 -> {
                        RespSocket.encodeInto(batch, "SET", "p:" + i, "v" + i);
                        expected.add("OK");
                    }
                    case 1 -> {
                        RespSocket.encodeInto(batch, "GET", "p:" + (i - 1));
                        expected.add("v" + (i - 1));
                    }
                    case 2 -> {
                        RespSocket.encodeInto(batch, "INCR", "counter");
                        expected.add(++counter);
                    }
                    case 3 -> {
                        RespSocket.encodeInto(batch, "CLIENT", "ID");
                        expected.add(clientId);
                    }
                    case 4 -> {
                        RespSocket.encodeInto(batch, "ECHO", "echo-" + i);
                        expected.add("echo-" + i);
                    }
                    case 5 -> {
                        RespSocket.encodeInto(batch, "GET", "missing-" + i);
                        expected.add(null);
                    }
                    case 6 -> {
                        RespSocket.encodeInto(batch, "PING");
                        expected.add("PONG");
                    }
                    default -> {
                        RespSocket.encodeInto(batch, "CLIENT", "GETNAME");
                        expected.add(null);
                    }
                }
            }
            s.sendRaw(batch.toByteArray());
            for (int i = 0; i < expected.size(); i++) {
                Object reply = s.read();
                if (!java.util.Objects.equals(expected.get(i), reply)) {
                    throw new AssertionError("reply #" + i + ": expected <" + expected.get(i) + "> but was <" + reply + ">");
                }
            }
            assertTrue(s.silentFor(Duration.ofMillis(100)), "no extra replies");
            assertEquals(Long.toString(counter), s.call("GET", "counter"));
        }
    }

    @Test
    void pipelineCrossingDatabaseSwitchesKeepsOrderAndDatabases() throws IOException {
        try (RespSocket s = fx.raw()) {
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            List<Object> expected = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                String db = Integer.toString(i % 3);
                RespSocket.encodeInto(batch, "SELECT", db);
                expected.add("OK");
                RespSocket.encodeInto(batch, "INCR", "per-db");
                expected.add((long) (i / 3 + 1));
            }
            s.sendRaw(batch.toByteArray());
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i), s.read(), "reply #" + i);
            }
            for (int db = 0; db < 3; db++) {
                assertEquals("OK", s.call("SELECT", Integer.toString(db)));
                assertEquals("100", s.call("GET", "per-db"));
            }
        }
    }

    @Test
    void lettuceAsyncWithAutoflushOffSendsFiveThousandCommandsInOneFlush() throws Exception {
        for (ProtocolVersion protocol : List.of(ProtocolVersion.RESP2, ProtocolVersion.RESP3)) {
            StatefulRedisConnection<String, String> connection = fx.connect(protocol);
            RedisAsyncCommands<String, String> async = connection.async();
            connection.setAutoFlushCommands(false);
            List<RedisFuture<?>> futures = new ArrayList<>();
            String prefix = protocol.name() + ":";
            for (int i = 0; i < 5_000; i++) {
                futures.add(switch (i % 4) {
                    case 0 -> async.set(prefix + i, "value-" + i);
                    case 1 -> async.get(prefix + (i - 1));
                    case 2 -> async.incr(prefix + "n");
                    default -> async.echo("e" + i);
                });
            }
            assertTrue(futures.stream().noneMatch(f -> f.isDone()), "nothing is sent before the flush");
            connection.flushCommands();
            assertTrue(LettuceFutures.awaitAll(30, TimeUnit.SECONDS, futures.toArray(new RedisFuture[0])),
                    "all replies arrive");
            long n = 0;
            for (int i = 0; i < futures.size(); i++) {
                Object value = futures.get(i).get();
                Object expected = switch (i % 4) {
                    case 0 -> "OK";
                    case 1 -> "value-" + (i - 1);
                    case 2 -> ++n;
                    default -> "e" + i;
                };
                assertEquals(expected, value, protocol + " reply #" + i);
            }
            connection.setAutoFlushCommands(true);
            assertEquals("1250", connection.sync().get(prefix + "n"));
        }
    }
}
