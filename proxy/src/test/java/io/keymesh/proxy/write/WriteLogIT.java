package io.keymesh.proxy.write;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket;
import io.keymesh.proxy.it.RespSocket.Err;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each acknowledged client write reaches the backend as one km_w call that logs it: exactly one
 * entry (plain SETs batched into one km_ws call share one) in {@code km:log:<node id>} (db 2N = 32, read straight from the backend socket), with a
 * stamp of the node's clock (strictly increasing, ending in the node id), no txn outside MULTI and
 * one shared non-zero txn per MULTI/EXEC.
 */
class WriteLogIT extends ReplicatingNodePerClass {
    private static RedisCommands<String, String> backend;
    private static String origin;

    @BeforeAll
    static void connectBackend() {
        backend = fx.connectBackend().sync();
        backend.select(32);
        origin = fx.node().context().nodeId().value();
    }

    private static List<StreamMessage<String, String>> log() {
        return backend.xrange("km:log:" + origin, Range.create("-", "+"));
    }

    /** The log's entries as their field lists (name, value, ...): an entry of several SETs repeats t, k and s. */
    @SuppressWarnings("unchecked")
    private static List<List<String>> rawLog() {
        List<Object> reply = backend.dispatch(CommandType.XRANGE, new NestedMultiOutput<>(StringCodec.UTF8),
                new CommandArgs<>(StringCodec.UTF8).addKey("km:log:" + origin).add("-").add("+"));
        List<List<String>> entries = new ArrayList<>();
        for (Object e : reply) {
            entries.add((List<String>) (List<?>) ((List<Object>) e).get(1));
        }
        return entries;
    }

    @Test
    void everyAcknowledgedWriteIsLoggedOnceWithAnIncreasingStamp() throws IOException {
        int before = log().size();
        try (RespSocket s = fx.raw()) {
            for (int i = 0; i < 50; i++) {
                assertEquals("OK", s.call("SET", "k" + i, "v" + i));
                assertEquals((long) i + 1, s.call("INCR", "counter"));
            }
            assertEquals(3L, s.call("RPUSH", "list", "a", "b", "c"));
            assertEquals("v7", s.call("GET", "k7"));                              // a read: no entry
        }
        List<StreamMessage<String, String>> entries = log().subList(before, log().size());
        assertEquals(101, entries.size());
        String previous = "";
        for (StreamMessage<String, String> e : entries) {
            String stamp = e.getBody().get("t");
            assertEquals(24, stamp.length(), stamp);
            assertTrue(stamp.endsWith(origin), stamp);
            assertTrue(stamp.compareTo(previous) > 0, stamp + " after " + previous);
            assertEquals("0", e.getBody().getOrDefault("x", "0"), "outside MULTI: no txn (the library may leave x out)");
            previous = stamp;
        }
        long hlcMillis = Long.parseUnsignedLong(previous.substring(0, 16), 16) >>> 16;
        assertTrue(Math.abs(System.currentTimeMillis() - hlcMillis) < 60_000, "stamps carry wall-clock time: " + previous);
    }

    @Test
    void pipelinedSetsOfManyClientsLeaveInFewCallsWithEveryReplyInOrder() throws Exception {
        int before = log().size();
        long callsBefore = fcallCalls();
        int clients = 4;
        int sets = 200;
        List<RespSocket> sockets = new ArrayList<>();
        try {
            for (int c = 0; c < clients; c++) {
                sockets.add(fx.raw());
            }
            for (int c = 0; c < clients; c++) {
                ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
                for (int i = 0; i < sets; i++) {
                    RespSocket.encodeInto(pipeline, "SET", "p" + c + ":" + i, "v" + i);
                    if (i % 50 == 49) {
                        RespSocket.encodeInto(pipeline, "GET", "p" + c + ":" + i);   // sees the SET before it
                    }
                }
                RespSocket.encodeInto(pipeline, "SET", "p" + c + ":big", "x".repeat(10_000));    // alone, through km_w
                RespSocket.encodeInto(pipeline, "SET", "p" + c + ":0", "again");
                sockets.get(c).sendRaw(pipeline.toByteArray());
            }
            for (int c = 0; c < clients; c++) {
                RespSocket s = sockets.get(c);
                for (int i = 0; i < sets; i++) {
                    assertEquals("OK", s.read(), "client " + c + ", SET " + i);
                    if (i % 50 == 49) {
                        assertEquals("v" + i, s.read());
                    }
                }
                assertEquals("OK", s.read());
                assertEquals("OK", s.read());
                assertEquals("again", s.call("GET", "p" + c + ":0"));
            }
        } finally {
            sockets.forEach(RespSocket::close);
        }
        // every SET logged once, SETs of one backend call sharing an entry, each with its own stamp
        List<List<String>> entries = rawLog().subList(before, log().size());
        List<String[]> logged = new ArrayList<>();          // {key, stamp} per logged SET, in log order
        for (List<String> fields : entries) {
            String stamp = null;
            for (int i = 0; i < fields.size(); i += 2) {
                switch (fields.get(i)) {
                    case "t" -> stamp = fields.get(i + 1);
                    case "k" -> logged.add(new String[] {fields.get(i + 1), stamp});
                    default -> { }
                }
            }
        }
        assertEquals(clients * (sets + 2), logged.size(), "every SET logged once");
        assertTrue(entries.size() < logged.size() / 4, "SETs of one call share an entry: " + entries.size() + " entries");
        // each client's SETs are logged in its order, with increasing stamps (clients on other I/O
        // threads interleave: their stamps are only ordered per key, by the library)
        for (int c = 0; c < clients; c++) {
            List<String> keys = new ArrayList<>();
            String previous = "";
            for (String[] set : logged) {
                if (set[0].startsWith("p" + c + ":")) {
                    keys.add(set[0]);
                    assertTrue(set[1].compareTo(previous) > 0, set[1] + " after " + previous);
                    previous = set[1];
                }
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < sets; i++) {
                expected.add("p" + c + ":" + i);
            }
            expected.add("p" + c + ":big");
            expected.add("p" + c + ":0");
            assertEquals(expected, keys);
        }
        // the register stamp the proxy packed for the library is the logged stamp, two hex digits a byte
        String[] p17 = logged.stream().filter(set -> set[0].equals("p1:7")).findFirst().orElseThrow();
        String hex = backend.eval("redis.call('SELECT', 16) local v = redis.call('GET', KEYS[1]) redis.call('SELECT', 32) "
                + "return string.format(string.rep('%02x', #v), string.byte(v, 1, -1))", ScriptOutputType.VALUE, "p1:7");
        assertEquals(p17[1], hex);
        long calls = fcallCalls() - callsBefore;
        assertTrue(calls < clients * (sets + 2) / 4, "consecutive SETs share backend calls: " + calls + " calls");
    }

    private static long fcallCalls() {
        for (String line : backend.info("commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_fcall:")) {
                return Long.parseLong(line.replaceAll(".*calls=(\\d+),.*", "$1"));
            }
        }
        return 0;
    }

    @Test
    void transactionWritesShareOneTxnIdPerExec() throws IOException {
        int before = log().size();
        try (RespSocket s = fx.raw()) {
            for (int t = 0; t < 2; t++) {
                assertEquals("OK", s.call("MULTI"));
                assertEquals("QUEUED", s.call("SET", "tx", "1"));
                assertEquals("QUEUED", s.call("INCR", "tx"));
                assertEquals("QUEUED", s.call("GET", "tx"));
                assertEquals("QUEUED", s.call("HSET", "txh", "f", "v"));
                List<?> exec = (List<?>) s.call("EXEC");
                assertEquals(List.of("OK", 2L, "2", t == 0 ? 1L : 0L), exec);
            }
        }
        List<StreamMessage<String, String>> entries = log().subList(before, log().size());
        assertEquals(6, entries.size(), "3 writes per transaction (HSET of an existing field still counts)");
        String first = entries.get(0).getBody().get("x");
        String second = entries.get(3).getBody().get("x");
        assertNotEquals("0", first);
        for (int i = 0; i < 3; i++) {
            assertEquals(first, entries.get(i).getBody().get("x"));
            assertEquals(second, entries.get(3 + i).getBody().get("x"));
        }
        assertNotEquals(first, second, "each transaction has its own id");
    }

    @Test
    void aBlockingPopOfAnEmptyListWaitsThenPopsThroughTheFunctionByElement() throws Exception {
        int before = log().size();
        try (RespSocket waiter = fx.raw(); RespSocket pusher = fx.raw()) {
            waiter.send("BLPOP", "queue", "5");
            Thread.sleep(200);                                  // the pop is blocked in Redis
            assertEquals(1L, pusher.call("RPUSH", "queue", "job"));
            assertEquals(List.of("queue", "job"), waiter.read());
            assertNull(waiter.call("BLPOP", "queue", "0.01"), "timed out: nothing popped");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<List<String>> entries;
        do {
            List<List<String>> all = rawLog();
            entries = all.subList(before, all.size());
        } while (entries.size() < 2 && System.nanoTime() < deadline);
        assertEquals(2, entries.size(), "the push, then the pop; the timed-out pop logs nothing");
        List<String> push = entries.get(0);
        List<String> pop = entries.get(1);
        assertEquals(List.of("k", "queue", "T", "job", "e", "0"), push.subList(2, push.size()));
        // the pop names the element it took by its id (tail push, the push's stamp, index 0, the push's
        // entry), not the list
        assertEquals(List.of("k", "queue", "X"), pop.subList(2, 5));
        assertTrue(pop.get(5).startsWith("t" + push.get(1) + " a0 " + origin + ":"), pop.get(5));
        assertEquals(6, pop.size());
        assertTrue(push.get(1).compareTo(pop.get(1)) < 0);
    }

    @Test
    void aBlockingPopOfAListWithElementsRunsThroughTheFunctionWithoutBlocking() throws Exception {
        int before = log().size();
        try (RespSocket worker = fx.raw()) {
            assertEquals(3L, worker.call("RPUSH", "jobs", "a", "b", "c"));
            assertEquals("c", worker.call("BRPOPLPUSH", "jobs", "working", "5"));
            assertEquals("a", worker.call("BLMOVE", "jobs", "working", "LEFT", "RIGHT", "5"));
            assertEquals(List.of("jobs", "b"), worker.call("BLPOP", "jobs", "other", "5"));
            assertEquals(List.of("working", List.of("a")), worker.call("BLMPOP", "5", "1", "working", "RIGHT", "COUNT", "1"));
            assertEquals(List.of("c"), worker.call("LRANGE", "working", "0", "-1"));
        }
        List<List<String>> all = rawLog();
        List<List<String>> entries = all.subList(before, all.size());
        assertEquals(5, entries.size(), "one entry per command: " + entries);
        String push = "t" + entries.get(0).get(1);
        String source = " " + origin + ":" + Long.toHexString(before + 1);     // the RPUSH's entry
        assertEquals(List.of("k", "jobs", "X", push + " a2" + source, "k", "working", "H", "c", "e", "0"),
                entries.get(1).subList(2, entries.get(1).size()));
        assertEquals(List.of("k", "jobs", "X", push + " a0" + source, "k", "working", "T", "a"),
                entries.get(2).subList(2, entries.get(2).size()));
        assertEquals(List.of("k", "jobs", "X", push + " a1" + source), entries.get(3).subList(2, entries.get(3).size()));
        assertEquals("X", entries.get(4).get(4));
    }

    @Test
    void aWritingScriptLogsEachWriteItMakesUnderOneTransactionId() throws IOException {
        int before = log().size();
        try (RespSocket s = fx.raw()) {
            s.call("SET", "sk", "41");
            assertEquals("41", s.call("EVAL", "return redis.call('GET', KEYS[1])", "1", "sk"));
            assertEquals("41", s.call("EVAL_RO", "return redis.call('GET', KEYS[1])", "1", "sk"));
            assertEquals(1, log().size() - before, "scripts that only read log nothing");
            // two writes, one of a key the script does not declare
            assertEquals(42L, s.call("EVAL", "redis.call('SET', 'sk-undeclared', 'u') return redis.call('INCR', KEYS[1])",
                    "1", "sk"));
            Object readOnly = s.call("EVAL_RO", "return redis.call('SET', KEYS[1], 'x')", "1", "sk");
            assertTrue(readOnly instanceof Err e && e.message().startsWith("ERR Write commands are not allowed from read-only scripts."),
                    String.valueOf(readOnly));
            Object forged = s.call("FCALL", "km_w", "0", "2", "0", "16", origin, "ffffffffffffffff" + origin, "0", "SET", "sk", "x");
            assertTrue(forged instanceof Err, "clients cannot call the library's writing functions: " + forged);
            assertEquals("OK", s.call("FUNCTION", "FLUSH"), "FUNCTION FLUSH removes the clients' libraries, never keymesh's");
            assertTrue(s.call("FUNCTION", "DELETE", "keymesh") instanceof Err);
            assertEquals("42", s.call("GET", "sk"));
        }
        List<List<String>> entries = rawLog().subList(before + 1, rawLog().size());
        assertEquals(2, entries.size(), "one entry per write of the script: " + entries);
        try (RespSocket s = fx.raw()) {
            assertEquals("OK", s.call("SET", "after-flush", "v"), "the keymesh library survived FUNCTION FLUSH");
        }
        String txn = field(entries.get(0), "x");
        assertTrue(txn != null && !txn.equals("0"), "a script's entries carry a transaction id: " + entries.get(0));
        assertEquals(txn, field(entries.get(1), "x"), "both writes of the script share it");
        assertEquals("sk-undeclared", field(entries.get(0), "k"));
        assertEquals("sk", field(entries.get(1), "k"));
    }

    private static String field(List<String> entry, String name) {
        for (int i = 0; i + 1 < entry.size(); i += 2) {
            if (entry.get(i).equals(name)) {
                return entry.get(i + 1);
            }
        }
        return null;
    }

    @Test
    void aWrongArityWriteGetsRedisErrorAndLogsNothing() throws IOException {
        int before = log().size();
        try (RespSocket s = fx.raw()) {
            assertEquals(new Err("ERR wrong number of arguments for 'set' command"), s.call("SET", "only-key"));
            assertEquals(new Err("ERR wrong number of arguments for 'hset' command"), s.call("hset", "h", "f"));
        }
        assertEquals(before, log().size());
    }

    @Test
    void writesThatCannotBeMergedAreRefusedWithTheLibrarysTextAndChangeNothing() throws IOException {
        try (RespSocket s = fx.raw()) {
            s.call("SET", "stay", "1");
            int before = log().size();
            for (String[] cmd : new String[][] {
                    {"SWAPDB", "0", "1"}, {"MIGRATE", "127.0.0.1", "1", "stay", "0", "1000"},
                    {"RESTORE-ASKING", "other", "0", "x"}}) {
                assertEquals(new Err(io.keymesh.storage.merge.WriteCommands.refusal(cmd[0])), s.call(cmd), cmd[0]);
            }
            assertEquals("1", s.call("GET", "stay"), "MIGRATE moved nothing");
            assertEquals(0L, s.call("EXISTS", "other"));
            assertEquals(before, log().size(), "nothing logged");
        }
    }
}
