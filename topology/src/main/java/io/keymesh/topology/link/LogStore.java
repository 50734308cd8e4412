package io.keymesh.topology.link;

import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LogEntry;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The replication log and position vector as links see them, over one backend connection that
 * has db 2N selected: {@code km:log:<origin>} streams with ids {@code <seq>-0}, hash {@code km:pos}.
 */
public final class LogStore {
    static final String RAISE_POSITION = "local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') "
            + "local want = tonumber(ARGV[2]) if want > cur then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) "
            + "return want end return cur";

    private final BackendClient backend;
    private final int databases;

    public LogStore(BackendClient backend, int databases) {
        this.backend = backend;
        this.databases = databases;
    }

    /** The backend connection (db 2N selected) this store reads through. */
    public BackendClient backend() {
        return backend;
    }

    public static String logKey(String origin) {
        return "km:log:" + origin;
    }

    /** km:pos[origin]: the highest sequence of {@code origin} present on this node (0 if none). */
    public long position(String origin) throws IOException {
        Object v = backend.ok(List.of("HGET", "km:pos", origin));
        return v == null ? 0 : Long.parseLong(Frames.text(v));
    }

    /** The lowest sequence still in {@code origin}'s log, or -1 when the log is empty. */
    public long firstSeq(String origin) throws IOException {
        List<LogEntry> first = entries(backend.ok(List.of("XRANGE", logKey(origin), "-", "+", "COUNT", "1")));
        return first.isEmpty() ? -1 : first.get(0).seq();
    }

    /** Entries of {@code origin} after {@code afterSeq}, at most {@code count}. */
    public List<LogEntry> range(String origin, long afterSeq, int count) throws IOException {
        return entries(backend.ok(List.of("XRANGE", logKey(origin), "(" + afterSeq + "-0", "+", "COUNT",
                Integer.toString(count))));
    }

    /** Waits up to {@code blockMillis} (at least 1) until a log in {@code after} grows past its sequence (XREAD BLOCK). */
    public void awaitAny(Map<String, Long> after, long blockMillis) throws IOException {
        List<String> args = new ArrayList<>();
        args.addAll(List.of("XREAD", "COUNT", "1", "BLOCK", Long.toString(Math.max(1, blockMillis)), "STREAMS"));
        for (String origin : after.keySet()) {
            args.add(logKey(origin));
        }
        for (long seq : after.values()) {
            args.add(seq + "-0");
        }
        backend.ok(args);
    }

    /** Raises km:pos[origin] to at least {@code seq} (after a snapshot); returns the resulting position. */
    public long raisePosition(String origin, long seq) throws IOException {
        Object v = backend.ok(List.of("EVAL", RAISE_POSITION, "1", "km:pos", origin, Long.toString(seq)));
        return v instanceof Long n ? n : Long.parseLong(Frames.text(v));
    }

    /** Number of entries in {@code origin}'s log. */
    public long length(String origin) throws IOException {
        return (Long) backend.ok(List.of("XLEN", logKey(origin)));
    }

    /** Approximate bytes {@code origin}'s log takes in Redis (MEMORY USAGE), 0 when absent. */
    public long memoryBytes(String origin) throws IOException {
        Object v = backend.ok(List.of("MEMORY", "USAGE", logKey(origin)));
        return v instanceof Long n ? n : 0;
    }

    /** Drops {@code origin}'s log entries up to {@code seq} (library function km_trim). */
    public void trim(String origin, long seq) throws IOException {
        backend.ok(List.of("FCALL", "km_trim", "0", Integer.toString(databases), origin, Long.toString(seq)));
    }

    /** km:pos as a map: every origin's position on this node, sorted by origin. */
    public java.util.SortedMap<String, Long> positions() throws IOException {
        List<?> flat = (List<?>) backend.ok(List.of("HGETALL", "km:pos"));
        java.util.SortedMap<String, Long> out = new java.util.TreeMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            out.put(Frames.text(flat.get(i)), Long.parseLong(Frames.text(flat.get(i + 1))));
        }
        return out;
    }

    /** What {@code origin}'s log holds here: its first sequence and this node's position of it. */
    public LogSpan span(String origin) throws IOException {
        return new LogSpan(firstSeq(origin), position(origin));
    }

    /** Origins that have a log on this node. */
    public List<String> origins() throws IOException {
        Object v = backend.ok(List.of("HKEYS", "km:pos"));
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) v) {
            out.add(Frames.text(o));
        }
        return out;
    }

    /** Parses an XRANGE/XREAD entry list. */
    static List<LogEntry> entries(Object reply) {
        if (!(reply instanceof List<?> list)) {
            return List.of();
        }
        List<LogEntry> out = new ArrayList<>(list.size());
        for (Object item : list) {
            List<?> entry = (List<?>) item;
            String id = Frames.text(entry.get(0));
            int dash = id.indexOf('-');
            long seq = Long.parseLong(dash < 0 ? id : id.substring(0, dash));
            List<byte[]> fields = new ArrayList<>();
            Object body = entry.get(1);
            if (body instanceof List<?> items) {
                for (Object f : items) {
                    fields.add(Frames.bytes(f));
                }
            }
            out.add(new LogEntry(seq, fields));
        }
        return out;
    }
}
