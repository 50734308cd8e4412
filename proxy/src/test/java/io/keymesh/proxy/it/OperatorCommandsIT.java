package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * The operator's client commands keymesh answers for its own clients: MONITOR, CLIENT PAUSE/UNPAUSE,
 * CLIENT KILL with its filters, CLIENT UNBLOCK and CLIENT LIST/INFO. Where the scenario allows, the
 * same steps run against a plain redis-server and the replies must be Redis' own.
 */
class OperatorCommandsIT extends OneNodePerClass {
    private static final Duration HELD = Duration.ofMillis(400);

    // ---- MONITOR ----------------------------------------------------------------------------------

    /** The MONITOR lines a fixed scenario produces, the time and client port written as {@code <T>} and {@code <P>}. */
    private static List<String> monitorTranscript(int port) throws IOException {
        List<String> lines = new ArrayList<>();
        try (RespSocket m = new RespSocket(port, KeymeshFixture.TIMEOUT);
             RespSocket c = new RespSocket(port, KeymeshFixture.TIMEOUT)) {
            assertEquals("OK", m.call("MONITOR"));
            c.call("SET", "a b", "x\"y\\z\n\u0001\té\r\u0007\b\u007f~");
            c.call("SELECT", "3");
            c.call("GET", "a b");
            c.call("CLIENT", "LIST");                    // admin commands are not shown
            c.call("CONFIG", "GET", "port");
            c.call("AUTH", "secret");                    // shown with its password redacted
            c.call("HELLO", "2", "AUTH", "default", "pw");
            c.call("NOSUCHCOMMAND");                     // refused before running: not shown
            c.call("GET");                               // arity error: not shown
            c.call("PING");
            int clientPort = c.socket().getLocalPort();
            long now = System.currentTimeMillis() / 1000;
            for (int i = 0; i < 6; i++) {
                String line = (String) m.read();
                String[] head = line.split(" ", 2);
                long seconds = Long.parseLong(head[0].substring(0, head[0].indexOf('.')));
                assertTrue(Math.abs(seconds - now) < 30, line);
                assertTrue(head[0].matches("\\d+\\.\\d{6}"), line);
                lines.add("<T> " + head[1].replace("127.0.0.1:" + clientPort + "]", "127.0.0.1:<P>]"));
            }
            assertTrue(m.silentFor(Duration.ofMillis(200)), "nothing else reaches the monitor");
            c.call("SELECT", "0");
        }
        return lines;
    }

    @Test
    void monitorLinesAreRedisOwn() throws IOException {
        List<String> keymesh = monitorTranscript(fx.port());
        assertEquals(monitorTranscript(fx.directPort()), keymesh);
        assertEquals("<T> [0 127.0.0.1:<P>] \"SET\" \"a b\" \"x\\\"y\\\\z\\n\\x01\\t\\xc3\\xa9\\r\\a\\b\\x7f~\"",
                keymesh.get(0));
    }

    @Test
    void redisCliMonitorShowsLettuceTraffic() throws Exception {
        Path out = fx.tempFile("monitor.out");
        fx.redisCliInBackground(out, "MONITOR");
        try (StatefulRedisConnection<String, String> c = fx.connect()) {
            long deadline = System.nanoTime() + KeymeshFixture.TIMEOUT.toNanos();
            while (!Files.readString(out).contains("\"SET\" \"lk\" \"lv\"")) {
                assertTrue(System.nanoTime() < deadline, "redis-cli MONITOR printed: " + Files.readString(out));
                c.sync().set("lk", "lv");           // until the monitor is registered, earlier SETs go unseen
                Thread.sleep(50);
            }
        }
    }

    @Test
    void aMonitorThatDoesNotReadIsClosedAtItsOutputLimitAndOthersKeepWorking() throws Exception {
        try (KeymeshFixture small = KeymeshFixture.start(Map.of(
                "keymesh.limits.client-output-buffer-limit.replica.hard", "256k"));
             RespSocket m = small.raw(); RespSocket w = small.raw()) {
            assertEquals("OK", m.call("MONITOR"));
            m.socket().setReceiveBufferSize(4096);
            String value = "v".repeat(10_000);
            boolean closed = false;
            for (int i = 0; i < 2000 && !closed; i++) {
                assertEquals("OK", w.call("SET", "big" + i, value));
                if (i % 100 == 99) {
                    closed = !((String) w.call("CLIENT", "LIST")).contains(" flags=O ");
                }
            }
            assertTrue(closed, "the monitor was closed once its pending output passed 256k");
            assertEquals("PONG", w.call("PING"));
        }
    }

    @Test
    void resetEndsMonitoringAndClientListShowsTheMonitorFlag() throws IOException {
        try (RespSocket m = fx.raw(); RespSocket c = fx.raw()) {
            assertEquals("OK", m.call("MONITOR"));
            String info = (String) c.call("CLIENT", "LIST", "ID", String.valueOf(idOf(m, c)));
            assertTrue(info.contains(" flags=O "), info);
            c.call("SET", "seen", "1");
            assertTrue(((String) m.read()).endsWith("\"SET\" \"seen\" \"1\""));
            assertEquals("RESET", m.call("RESET"));
            c.call("SET", "unseen", "1");
            assertTrue(m.silentFor(Duration.ofMillis(200)));
            assertEquals("PONG", m.call("PING"));
        }
    }

    /** The id of {@code target} as CLIENT LIST shows it to {@code other}, found by its local port. */
    private static long idOf(RespSocket target, RespSocket other) throws IOException {
        String addr = "addr=127.0.0.1:" + target.socket().getLocalPort() + " ";
        for (String line : ((String) other.call("CLIENT", "LIST")).split("\n")) {
            if (line.contains(addr)) {
                return Long.parseLong(line.substring(3, line.indexOf(' ')));
            }
        }
        throw new AssertionError("no client " + addr);
    }

    // ---- CLIENT PAUSE / UNPAUSE -------------------------------------------------------------------

    @Test
    void pauseWriteHoldsWritesAndScriptsNotReadsUntilUnpause() throws IOException {
        try (RespSocket admin = fx.raw(); RespSocket writer = fx.raw(); RespSocket scripter = fx.raw();
             RespSocket reader = fx.raw()) {
            assertEquals("OK", admin.call("CLIENT", "PAUSE", "20000", "WRITE"));
            writer.send("SET", "held", "1");
            scripter.send("EVAL", "return 1", "0");
            assertTrue(writer.silentFor(HELD), "the SET is held");
            assertTrue(scripter.silentFor(Duration.ofMillis(50)), "EVAL is held: a script may write");
            assertNull(reader.call("GET", "held"), "reads run, and the SET has not");
            assertEquals("PONG", reader.call("PING"));
            assertEquals("OK", admin.call("CLIENT", "UNPAUSE"));
            assertEquals("OK", writer.read());
            assertEquals(1L, scripter.read());
            assertEquals("1", reader.call("GET", "held"));
        }
    }

    @Test
    void pauseAllHoldsEveryCommandUntilItsTimeoutEnds() throws IOException {
        try (RespSocket admin = fx.raw(); RespSocket c = fx.raw()) {
            long start = System.nanoTime();
            assertEquals("OK", admin.call("CLIENT", "PAUSE", "500"));
            assertEquals("PONG", c.call("PING"));
            long waitedMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMillis >= 450, "PING waited for the pause: " + waitedMillis + " ms");
        }
    }

    @Test
    void pauseWriteHoldsAnExecOfQueuedWrites() throws IOException {
        try (RespSocket admin = fx.raw(); RespSocket c = fx.raw()) {
            assertEquals("OK", c.call("MULTI"));
            assertEquals("QUEUED", c.call("SET", "tx", "1"));
            assertEquals("OK", admin.call("CLIENT", "PAUSE", "20000", "WRITE"));
            c.send("EXEC");
            assertTrue(c.silentFor(HELD), "EXEC of a queued write is held");
            assertEquals("OK", admin.call("CLIENT", "UNPAUSE"));
            assertEquals(List.of("OK"), c.read());
        }
    }

    // ---- errors, byte for byte against Redis ----------------------------------------------------------

    @Test
    void operatorCommandErrorsAreRedisOwn() throws IOException {
        String[][] commands = {
            {"CLIENT", "PAUSE", "abc"}, {"CLIENT", "PAUSE", "-1"}, {"CLIENT", "PAUSE", "10", "foo"},
            {"CLIENT", "UNBLOCK", "abc"}, {"CLIENT", "UNBLOCK", "5", "foo"}, {"CLIENT", "UNBLOCK", "99999"},
            {"CLIENT", "UNBLOCK", "99999", "ERROR"}, {"CLIENT", "KILL", "1.2.3.4:5"}, {"CLIENT", "KILL", "ID", "abc"},
            {"CLIENT", "KILL", "ID", "0"}, {"CLIENT", "KILL", "ID", "99999"}, {"CLIENT", "KILL", "TYPE", "foo"},
            {"CLIENT", "KILL", "SKIPME", "maybe"}, {"CLIENT", "KILL", "USER", "nobody"}, {"CLIENT", "KILL", "ADDR"},
            {"CLIENT", "KILL", "TYPE", "master"}, {"CLIENT", "KILL", "TYPE", "replica"}, {"CLIENT", "UNPAUSE", "x"},
            {"CLIENT", "KILL", "ID", "1", "BOGUS", "x"}, {"MONITOR", "x"},
        };
        try (RespSocket k = fx.raw(); RespSocket d = fx.rawDirect()) {
            for (String[] command : commands) {
                assertEquals(d.callRaw(command), k.callRaw(command), String.join(" ", command));
            }
        }
    }

    // ---- CLIENT KILL ---------------------------------------------------------------------------------

    @Test
    void clientKillFiltersCloseTheClientsTheyMatch() throws IOException {
        try (RespSocket admin = fx.raw(); RespSocket a = fx.raw(); RespSocket b = fx.raw(); RespSocket sub = fx.raw();
             RespSocket old = fx.raw()) {
            assertEquals("PONG", b.call("PING"), "b's session exists before the kill (its accept may lag the connect)");
            assertEquals("PONG", old.call("PING"));
            long idA = (Long) a.call("CLIENT", "ID");
            assertEquals(1L, admin.call("CLIENT", "KILL", "ID", Long.toString(idA)));
            assertTrue(a.closedByPeer(KeymeshFixture.TIMEOUT));

            assertEquals(1L, admin.call("CLIENT", "KILL", "ADDR", "127.0.0.1:" + b.socket().getLocalPort()));
            assertTrue(b.closedByPeer(KeymeshFixture.TIMEOUT));

            sub.call("SUBSCRIBE", "ch");
            assertEquals(1L, admin.call("CLIENT", "KILL", "TYPE", "pubsub"));
            assertTrue(sub.closedByPeer(KeymeshFixture.TIMEOUT));

            assertEquals("OK", admin.call("CLIENT", "KILL", "127.0.0.1:" + old.socket().getLocalPort()));
            assertTrue(old.closedByPeer(KeymeshFixture.TIMEOUT));
            assertEquals("PONG", admin.call("PING"));
        }
    }

    @Test
    void clientKillByLaddrAndUserSkipsTheCallerUnlessSkipmeNo() throws IOException {
        try (RespSocket admin = fx.raw(); RespSocket other = fx.raw()) {
            String laddr = "127.0.0.1:" + fx.port();
            assertEquals("PONG", other.call("PING"), "other's session exists before the kill (its accept may lag the connect)");
            assertEquals(0L, admin.call("CLIENT", "KILL", "LADDR", "127.0.0.1:1"));
            long killed = (Long) admin.call("CLIENT", "KILL", "LADDR", laddr, "USER", "default");
            assertTrue(killed >= 1, "other (and any other client of this node) went: " + killed);
            assertTrue(other.closedByPeer(KeymeshFixture.TIMEOUT));
            assertEquals("PONG", admin.call("PING"), "SKIPME yes is the default");
            admin.send("CLIENT", "KILL", "ID", String.valueOf(admin.call("CLIENT", "ID")), "SKIPME", "no");
            assertEquals(1L, admin.read());
            assertTrue(admin.closedByPeer(KeymeshFixture.TIMEOUT), "SKIPME no: the caller is closed after its reply");
        }
    }

    // ---- CLIENT UNBLOCK ------------------------------------------------------------------------------

    /** A client blocked in BLPOP, unblocked by another with {@code reason}: the blocked client's reply bytes. */
    private static String unblocked(int port, String reason) throws IOException {
        try (RespSocket blocked = new RespSocket(port, KeymeshFixture.TIMEOUT);
             RespSocket admin = new RespSocket(port, KeymeshFixture.TIMEOUT)) {
            String id = String.valueOf(blocked.call("CLIENT", "ID"));
            blocked.send("BLPOP", "nothing-here", "0");
            long deadline = System.nanoTime() + KeymeshFixture.TIMEOUT.toNanos();
            while (!Long.valueOf(1).equals(admin.call("CLIENT", "UNBLOCK", id, reason))) {
                assertTrue(System.nanoTime() < deadline, "the client never showed up as blocked");
                assertTrue(blocked.silentFor(Duration.ofMillis(20)));
            }
            String reply = blocked.readRaw();
            assertEquals("PONG", blocked.call("PING"), "the unblocked client carries on");
            assertEquals(0L, admin.call("CLIENT", "UNBLOCK", id), "a client that is not blocked");
            return reply;
        }
    }

    @Test
    void clientUnblockGivesTheBlockedClientRedisTimeoutOrErrorReply() throws IOException {
        assertEquals("*-1\r\n", unblocked(fx.port(), "TIMEOUT"));
        assertEquals("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n", unblocked(fx.port(), "ERROR"));
        assertEquals(unblocked(fx.directPort(), "ERROR"), unblocked(fx.port(), "ERROR"));
    }

    // ---- CLIENT LIST / INFO --------------------------------------------------------------------------

    @Test
    void clientListShowsWhatRedisKeepsOnASessionsOwnLink() throws IOException {
        try (RespSocket admin = fx.raw(); RespSocket sub = fx.raw(); RespSocket blocked = fx.raw();
             RespSocket tracking = fx.raw(); RespSocket plain = fx.raw()) {
            String subId = String.valueOf(sub.call("CLIENT", "ID"));
            sub.call("SUBSCRIBE", "c1", "c2");
            sub.read();
            sub.call("PSUBSCRIBE", "p*");
            String blockedId = String.valueOf(blocked.call("CLIENT", "ID"));
            blocked.send("BLPOP", "nothing", "0");
            String trackingId = String.valueOf(tracking.call("CLIENT", "ID"));
            assertEquals("OK", tracking.call("CLIENT", "TRACKING", "ON"));
            String plainId = String.valueOf(plain.call("CLIENT", "ID"));

            String subLine = (String) admin.call("CLIENT", "LIST", "ID", subId);
            assertEquals(List.of("2", "1", "0", "P"),
                    List.of(field(subLine, "sub"), field(subLine, "psub"), field(subLine, "ssub"), field(subLine, "flags")),
                    subLine);
            long deadline = System.nanoTime() + KeymeshFixture.TIMEOUT.toNanos();
            String blockedLine;
            while (!field(blockedLine = (String) admin.call("CLIENT", "LIST", "ID", blockedId), "flags").equals("b")) {
                assertTrue(System.nanoTime() < deadline, "never shown blocked: " + blockedLine);
            }
            assertEquals("blpop", field(blockedLine, "cmd"));
            assertEquals("t", field((String) admin.call("CLIENT", "LIST", "ID", trackingId), "flags"));
            assertEquals("N", field((String) admin.call("CLIENT", "INFO"), "flags"));
            String all = (String) admin.call("CLIENT", "LIST");
            assertEquals(6, all.split("\n").length, all);
            assertTrue(all.contains("id=" + plainId + " "), all);
            assertEquals(1L, admin.call("CLIENT", "UNBLOCK", blockedId));
            assertNull(blocked.read());
        }
    }

    private static List<String> fieldNames(String line) {
        return Arrays.stream(line.trim().split(" ")).map(f -> f.substring(0, f.indexOf('='))).toList();
    }

    private static String field(String line, String name) {
        for (String f : line.trim().split(" ")) {
            if (f.startsWith(name + "=")) {
                return f.substring(name.length() + 1);
            }
        }
        throw new AssertionError("no " + name + " in " + line);
    }

    @Test
    void clientListAndInfoHaveRedisFieldsInRedisOrderWithTheClientsValues() throws IOException {
        IntFunction<String> infoOf = port -> {
            try (RespSocket s = new RespSocket(port, KeymeshFixture.TIMEOUT)) {
                return (String) s.call("CLIENT", "INFO");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        assertEquals(fieldNames(infoOf.apply(fx.directPort())), fieldNames(infoOf.apply(fx.port())));
        try (RespSocket s = fx.raw(); RespSocket d = fx.rawDirect()) {
            assertEquals(fieldNames(((String) d.call("CLIENT", "LIST")).split("\n")[0]),
                    fieldNames(((String) s.call("CLIENT", "LIST")).split("\n")[0]));
            s.call("CLIENT", "SETNAME", "ops");
            s.call("SELECT", "2");
            s.call("HELLO", "3");
            Object info = s.call("CLIENT", "INFO");
            String line = info instanceof RespSocket.Verbatim v ? v.text() : (String) info;
            assertEquals("127.0.0.1:" + s.socket().getLocalPort(), field(line, "addr"));
            assertEquals("127.0.0.1:" + fx.port(), field(line, "laddr"));
            assertEquals("ops", field(line, "name"));
            assertEquals("2", field(line, "db"));
            assertEquals("N", field(line, "flags"));
            assertEquals("client|info", field(line, "cmd"));
            assertEquals("default", field(line, "user"));
            assertEquals("3", field(line, "resp"));
            assertEquals("-1", field(line, "multi"));
            assertTrue(Integer.parseInt(field(line, "fd")) > 0, "the client socket's descriptor: " + line);
            s.call("MULTI");
            s.call("SET", "q", "1");
            s.call("GET", "q");
            try (RespSocket other = fx.raw()) {
                String listed = (String) other.call("CLIENT", "LIST", "ID", field(line, "id"));
                assertEquals("2", field(listed, "multi"), "two commands queued: " + listed);
                assertEquals("x", field(listed, "flags"));
            }
            assertEquals(List.of("OK", "1"), s.call("EXEC"));
        }
    }
}
