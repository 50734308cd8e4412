package io.keymesh.proxy.fuzz;

import io.keymesh.proxy.mesh.MeshFixture;
import io.keymesh.proxy.mesh.MeshNode;
import io.keymesh.proxy.mesh.RawCommand;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.wire.LogEntryGrammar;
import io.keymesh.topology.wire.PackedStrings;
import io.lettuce.core.Consumer;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The log entries a real node writes keep the grammar its peers check before applying a batch
 * ({@link LogEntryGrammar}): writes of every kind whose fields the grammar reads (counters and their
 * vectors, flushes, expiries, streams with their floors and groups, a long entry with packed fields,
 * other databases, a transaction) are read back from the node's log, each entry passes, every
 * checked field occurs, and the peer that pulls them applies them all.
 */
class LogEntryGrammarIT {
    private static final Duration CONVERGE = Duration.ofSeconds(30);
    /** Every field the grammar checks, which the writes below must make the library log. */
    private static final Set<String> CHECKED = Set.of("t", "q", "b", "f", "v", "u", "c", "e", "i", "j", "m",
            "xa", "xv", "xd", "xt", "xg", "xgc", "xgd", "xl", "xp", "xk");

    @Test
    void entriesTheLibraryWritesKeepTheGrammarAndApplyOnThePeer() {
        try (MeshFixture mesh = MeshFixture.start(2)) {
            MeshNode a = mesh.node(0);
            MeshNode b = mesh.node(1);
            mesh.cut(a, b);                          // A's log keeps everything until it is read
            writeEveryKind(a);

            List<LogEntry> entries = log(a);
            Set<String> seen = new TreeSet<>();
            for (LogEntry e : entries) {
                assertNull(LogEntryGrammar.malformed(e, MeshFixture.DATABASES), () -> text(e));
                names(e.fields(), seen);
            }
            assertTrue(seen.containsAll(CHECKED), "fields not logged by these writes: "
                    + new TreeSet<>(CHECKED).stream().filter(n -> !seen.contains(n)).toList());

            mesh.heal(a, b);
            mesh.awaitConverged(CONVERGE);
            String link = b.info("replication").getOrDefault("peer0", "");
            assertFalse(link.contains("refused"), link);
        }
    }

    /** Writes on {@code node} that log every field of {@link #CHECKED}. */
    private static void writeEveryKind(MeshNode node) {
        RedisCommands<String, String> c = node.sync();
        c.set("plain", "v");
        c.incr("counter");
        c.incrbyfloat("float", 0.1);
        c.incrbyfloat("float", 1e20);
        c.set("counter", "5");                                       // v: the increments it resets
        c.expire("counter", 100);                                    // e
        c.hincrby("hash", "n", 2);                                   // j
        c.hset("hash", "n", "7");                                    // u: the member's increments it resets
        c.hincrby("hash", "m", 1);
        c.zincrby("zset", 1.5, "m");
        c.zadd("zset", 3, "m");
        c.rename("hash", "renamed");                                 // c and u: a whole state's counted members
        Map<String, String> wide = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            wide.put("f" + i, "v" + i);
        }
        c.hset("wide", wide);                                        // m: more fields than a call takes inline
        c.multi();
        c.set("in-txn", "1");
        c.incr("in-txn-counter");
        c.exec();

        String first = c.xadd("stream", Map.of("f", "1"));           // xa, xv
        c.xadd("stream", Map.of("f", "2"));
        String third = c.xadd("stream", Map.of("f", "3"));
        c.xtrim("stream", 2);                                        // xt
        c.xgroupCreate(XReadArgs.StreamOffset.from("stream", "0-0"), "workers");   // xg, xgc
        c.xreadgroup(Consumer.from("workers", "w1"), XReadArgs.Builder.count(1),
                XReadArgs.StreamOffset.lastConsumed("stream"));      // xp, xl
        c.xack("stream", "workers", third);                          // xk
        c.xdel("stream", first, third);                              // xd
        c.xgroupDestroy("stream", "workers");                        // xgd

        try (StatefulRedisConnection<String, String> other = node.connect()) {
            RedisCommands<String, String> d = other.sync();
            d.select(2);
            d.incr("in-db-2");                                       // b
            d.flushdb();                                             // f
            d.incr("after-flush");                                   // q, and a total counted from the flush
            d.set("after-flush", "1");                               // v with origin@epoch
        }
    }

    /** The entries of {@code node}'s own log, read from its redis-server. */
    private static List<LogEntry> log(MeshNode node) {
        try (StatefulRedisConnection<String, String> backend = node.connectBackend()) {
            backend.sync().select(2 * MeshFixture.DATABASES);
            List<?> reply = (List<?>) RawCommand.call(backend, "XRANGE", "km:log:" + node.nodeId(), "-", "+");
            List<LogEntry> out = new ArrayList<>();
            for (Object item : reply) {
                List<?> entry = (List<?>) item;
                String id = (String) entry.get(0);
                List<byte[]> fields = new ArrayList<>();
                for (Object f : (List<?>) entry.get(1)) {
                    fields.add(((String) f).getBytes(StandardCharsets.ISO_8859_1));
                }
                out.add(new LogEntry(Long.parseLong(id.substring(0, id.indexOf('-'))), fields));
            }
            assertTrue(out.size() > 20, "the log holds the writes: " + out.size());
            return out;
        }
    }

    private static void names(List<byte[]> fields, Set<String> seen) {
        for (int i = 0; i < fields.size(); i += 2) {
            String name = new String(fields.get(i), StandardCharsets.ISO_8859_1);
            seen.add(name);
            if (name.equals("m")) {
                names(PackedStrings.unpack(fields.get(i + 1)), seen);
            }
        }
    }

    private static String text(LogEntry e) {
        List<String> out = new ArrayList<>();
        for (byte[] f : e.fields()) {
            out.add(new String(f, StandardCharsets.ISO_8859_1));
        }
        assertEquals(0, out.size() % 2);
        return "entry " + e.seq() + ": " + out + " -> " + LogEntryGrammar.malformed(e, MeshFixture.DATABASES);
    }
}
