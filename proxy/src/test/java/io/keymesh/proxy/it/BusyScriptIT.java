package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket.Err;
import io.keymesh.proxy.mesh.Await;
import io.keymesh.topology.health.HealthProbe;
import io.keymesh.topology.health.RespHealthProbe;
import io.keymesh.topology.health.UpstreamAddress;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.protocol.ProtocolVersion;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A script that runs on, on one node: SCRIPT KILL and FUNCTION KILL from another connection answer
 * as Redis does (OK, NOTBUSY, UNKILLABLE) and the node serves again; meanwhile other clients get
 * Redis' -BUSY at once instead of hanging; requests that were already queued behind the script run
 * after it. Replies nested far deeper than any fixed bound (a script's nested table) reach RESP2
 * and RESP3 clients byte for byte as Redis sends them, and the shared backend link stays up.
 */
class BusyScriptIT extends NodePerClass {
    private static final String SPIN = "while true do end";
    private static final Duration QUICK = Duration.ofSeconds(2);

    @BeforeAll
    static void start() {
        fx = KeymeshFixture.start();
    }

    /** Lowers busy-reply-threshold so tests need not wait Redis' default 5 s. */
    private static void threshold(int millis) throws IOException {
        try (RespSocket admin = new RespSocket(fx.port(), QUICK)) {
            assertEquals("OK", admin.call("CONFIG", "SET", "busy-reply-threshold", Integer.toString(millis)));
        }
    }

    /**
     * Waits until new clients of the node get -BUSY for a GET: the script runs past the threshold,
     * and the shared links of both event loops are past the stall time (two clients in a row, which
     * the node puts on its two loops in turn). Returns a -BUSY reply. Clients whose GET went onto a
     * shared link behind the script before the link counted as stalled (no reply within a short
     * time) are put in {@code queued}, still waiting.
     */
    private static Err awaitBusy(List<RespSocket> queued) {
        Err[] busy = new Err[1];
        Await.until(Duration.ofSeconds(10), "new clients get -BUSY", () -> {
            busy[0] = null;
            for (int i = 0; i < 2; i++) {
                Err reply = probe(queued);
                if (reply == null) {
                    return false;
                }
                busy[0] = reply;
            }
            return true;
        }, () -> queued.size() + " clients waiting");
        return busy[0];
    }

    private static Err probe(List<RespSocket> queued) {
        try {
            RespSocket probe = new RespSocket(fx.port(), Duration.ofMillis(700));
            probe.send("GET", "busy:probe");
            try {
                Object reply = probe.read();
                probe.close();
                return reply instanceof Err e && e.message().startsWith("BUSY") ? e : null;
            } catch (SocketTimeoutException e) {
                queued.add(probe);            // its GET waits behind the script on the shared link
                return null;
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void runawayEvalIsKilledFromAnotherConnectionAndEveryClientIsServedAgain() throws Exception {
        threshold(100);
        RespSocket setup = fx.raw();
        assertEquals("OK", setup.call("SET", "busy:probe", "there"));
        var runner = fx.connect();
        RedisFuture<Object> spinning = runner.async().eval(SPIN, ScriptOutputType.VALUE);
        List<RespSocket> queued = new ArrayList<>();
        try {
            Err busy = awaitBusy(queued);
            assertTrue(busy.message().contains("SCRIPT KILL"), busy.message());

            // no hang for anybody arriving now: each new client gets -BUSY promptly
            for (int i = 0; i < 10; i++) {
                try (RespSocket other = new RespSocket(fx.port(), QUICK)) {
                    long t0 = System.nanoTime();
                    Object reply = other.call("SET", "busy:other", Integer.toString(i));
                    assertInstanceOf(Err.class, reply, "client " + i + " while the script runs");
                    assertTrue(((Err) reply).message().startsWith("BUSY"), reply.toString());
                    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1), "the BUSY reply took over 1 s");
                }
            }

            // a client of another database: its new backend connection's SELECT is refused while the script runs
            try (RespSocket db1 = new RespSocket(fx.port(), QUICK)) {
                assertEquals("OK", db1.call("SELECT", "1"));
                Object reply = db1.call("GET", "busy:db1");
                assertTrue(reply instanceof Err e && e.message().startsWith("BUSY"), String.valueOf(reply));
            }

            // a replica's health check of this node: -BUSY to PING counts as up (no failover flap)
            HealthProbe.ProbeResult check = new RespHealthProbe(QUICK, null, null)
                    .probe(new UpstreamAddress("127.0.0.1", fx.port()));
            assertTrue(check.passed() && check.detail().startsWith("BUSY"), check.toString());

            RespSocket killer = fx.raw().timeout(QUICK);
            assertEquals("OK", killer.call("SCRIPT", "KILL"));
            ExecutionException killed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> spinning.get(5, TimeUnit.SECONDS));
            assertTrue(killed.getCause().getMessage().contains("Script killed by user"), killed.getCause().getMessage());

            // the requests queued behind the script ran after it, in order, with their real replies
            for (RespSocket waiting : queued) {
                waiting.timeout(QUICK);
                assertEquals("there", waiting.read());
            }
            assertEquals("OK", runner.sync().set("busy:after", "1"));
            assertEquals("there", setup.call("GET", "busy:probe"));
            assertInstanceOf(Err.class, killer.call("SCRIPT", "KILL"));
            assertTrue(((Err) killer.call("SCRIPT", "KILL")).message().startsWith("NOTBUSY"));
        } finally {
            queued.forEach(RespSocket::close);
        }
    }

    @Test
    void functionKillStopsALoopingUserFunctionAndScriptKillDoesToo() throws Exception {
        threshold(100);
        RespSocket admin = fx.raw().timeout(QUICK);
        assertEquals("spin", admin.call("FUNCTION", "LOAD", "REPLACE",
                "#!lua name=spin\nredis.register_function('spin', function() while true do end end)"));
        assertTrue(((Err) admin.call("FUNCTION", "KILL")).message().startsWith("NOTBUSY"));

        for (String kill : new String[] {"FUNCTION KILL", "SCRIPT KILL"}) {
            var runner = fx.connect();
            RedisFuture<Object> spinning = runner.async().fcall("spin", ScriptOutputType.VALUE);
            List<RespSocket> queued = new ArrayList<>();
            try {
                awaitBusy(queued);
                // SCRIPT KILL gets "-BUSY ... You can only call FUNCTION KILL" from Redis: keymesh follows it with FUNCTION KILL
                assertEquals("OK", admin.call(kill.split(" ")), kill);
                ExecutionException killed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                        () -> spinning.get(5, TimeUnit.SECONDS), kill);
                assertTrue(killed.getCause().getMessage().contains("killed by user"), killed.getCause().getMessage());
                for (RespSocket waiting : queued) {
                    waiting.timeout(QUICK);
                    assertTrue(waiting.readRaw().startsWith("$"), "a queued GET gets its reply");
                }
                assertEquals("PONG", runner.sync().ping());
            } finally {
                queued.forEach(RespSocket::close);
                runner.close();
            }
        }
        assertEquals("OK", admin.call("FUNCTION", "DELETE", "spin"));
    }

    @Test
    void aScriptThatWroteIsUnkillableAndTheNodeServesOnceItEnds() throws Exception {
        threshold(100);
        // writes, then spins for 1.5 s by the server's clock
        String script = "redis.call('SET', KEYS[1], 'w') local t = redis.call('TIME') local start = t[1] * 1000000 + t[2] "
                + "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start > 1500000 return 'done'";
        var runner = fx.connect();
        RedisFuture<Object> writing = runner.async().eval(script, ScriptOutputType.VALUE, "busy:written");
        List<RespSocket> queued = new ArrayList<>();
        try {
            awaitBusy(queued);
            Object reply = fx.raw().timeout(QUICK).call("SCRIPT", "KILL");
            assertInstanceOf(Err.class, reply);
            assertTrue(((Err) reply).message().startsWith("UNKILLABLE"), reply.toString());
            assertEquals("done", writing.get(5, TimeUnit.SECONDS));
            assertEquals("w", runner.sync().get("busy:written"));
        } finally {
            queued.forEach(RespSocket::close);
        }
    }

    /** A script returning a table nested {@code depth} deep (Redis cuts it with an error at its Lua stack limit). */
    private static String nestedScript(int depth) {
        return "local t = {7} for i = 1, " + depth + " do t = {t} end return t";
    }

    @Test
    void deeplyNestedScriptRepliesPassIntactInResp2AndResp3() throws Exception {
        for (String protocol : new String[] {"2", "3"}) {
            RespSocket viaNode = fx.raw().timeout(Duration.ofSeconds(10));
            RespSocket direct = fx.rawDirect().timeout(Duration.ofSeconds(10));
            if (protocol.equals("3")) {
                viaNode.call("HELLO", "3");
                direct.call("HELLO", "3");
            }
            String expected = direct.send("EVAL", nestedScript(10_000), "0").readRawFrame();
            assertTrue(expected.length() > 4096 * 4, "Redis' reply is nested deeper than 4096");
            // the deep reply and a request pipelined behind it on the same shared backend link
            viaNode.send("EVAL", nestedScript(10_000), "0").send("GET", "busy:deep");
            assertEquals(expected, viaNode.readRawFrame(), "RESP" + protocol);
            assertEquals(protocol.equals("3") ? "_\r\n" : "$-1\r\n", viaNode.readRaw());
        }
        // Lettuce 6.3 decodes replies up to 32 levels deep (a fixed stack of its own, direct Redis alike)
        for (ProtocolVersion protocol : ProtocolVersion.values()) {
            var lettuce = fx.connect(protocol);
            Object reply = lettuce.sync().eval(nestedScript(25), ScriptOutputType.MULTI);
            int depth = 0;
            while (reply instanceof List<?> list && list.size() == 1) {
                reply = list.get(0);
                depth++;
            }
            assertEquals(26, depth, protocol.toString());
            assertEquals(7L, reply);
            assertEquals("PONG", lettuce.sync().ping());
        }
    }
}
