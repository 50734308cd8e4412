package io.keymesh.topology.link;

import io.keymesh.storage.apply.ReplicationLog;
import io.keymesh.storage.conn.ReplyReader;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LogEntry;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The replication log and position vector as links see them, over one backend connection that
 * has db 2N selected (the commands are {@link ReplicationLog}'s).
 */
public final class LogStore {
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

    /** The position of {@code origin}: the highest sequence of {@code origin} present on this node (0 if none). */
    public long position(String origin) throws IOException {
        Object v = backend.ok(ReplicationLog.readPosition(origin));
        return v == null ? 0 : Long.parseLong(Frames.text(v));
    }

    /** The lowest sequence still in {@code origin}'s log, or -1 when the log is empty. */
    public long firstSeq(String origin) throws IOException {
        List<LogEntry> first = backend.ok(ReplicationLog.readFirst(origin), LogStore::entries);
        return first.isEmpty() ? -1 : first.get(0).seq();
    }

    /** Entries of {@code origin} after {@code afterSeq}, at most {@code count}. */
    public List<LogEntry> range(String origin, long afterSeq, int count) throws IOException {
        return backend.ok(ReplicationLog.readAfter(origin, afterSeq, count), LogStore::entries);
    }

    /** Waits up to {@code blockMillis} (at least 1) until a log in {@code after} grows past its sequence (XREAD BLOCK). */
    public void awaitAny(Map<String, Long> after, long blockMillis) throws IOException {
        backend.ok(ReplicationLog.awaitAny(after, blockMillis));
    }

    /** Raises the position of {@code origin} to at least {@code seq} (after a snapshot); returns the resulting position. */
    public long raisePosition(String origin, long seq) throws IOException {
        Object v = backend.ok(ReplicationLog.raisePosition(origin, seq));
        return v instanceof Long n ? n : Long.parseLong(Frames.text(v));
    }

    /** Number of entries in {@code origin}'s log. */
    public long length(String origin) throws IOException {
        return (Long) backend.ok(ReplicationLog.length(origin));
    }

    /** Approximate bytes {@code origin}'s log takes in Redis (MEMORY USAGE), 0 when absent. */
    public long memoryBytes(String origin) throws IOException {
        Object v = backend.ok(ReplicationLog.memoryUsage(origin));
        return v instanceof Long n ? n : 0;
    }

    /** Drops {@code origin}'s log entries up to {@code seq} (the library's trim). */
    public void trim(String origin, long seq) throws IOException {
        backend.ok(ReplicationLog.trim(databases, origin, seq));
    }

    /** The position vector as a map: every origin's position on this node, sorted by origin. */
    public java.util.SortedMap<String, Long> positions() throws IOException {
        List<?> flat = (List<?>) backend.ok(ReplicationLog.readPositions());
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
        Object v = backend.ok(ReplicationLog.readOrigins());
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) v) {
            out.add(Frames.text(o));
        }
        return out;
    }

    /**
     * Reads an XRANGE reply (RESP2 or RESP3) in place: per entry its sequence and its fields'
     * bytes, with no value tree in between (the senders read every entry they send this way).
     */
    static List<LogEntry> entries(ReplyReader r) {
        if (r.isNull()) {
            return List.of();
        }
        long n = r.readAggregate();
        List<LogEntry> out = new ArrayList<>((int) Math.min(n, 1024));
        for (long i = 0; i < n; i++) {
            long parts = r.readAggregate();
            if (parts < 2) {
                throw new IllegalStateException("log entry of " + parts + " items");
            }
            long seq = ReplicationLog.sequence(r.readText());
            List<byte[]> fields;
            if (r.isNull()) {
                r.skip();
                fields = List.of();
            } else {
                long count = r.readAggregate();
                fields = new ArrayList<>((int) Math.min(count, 1024));
                for (long k = 0; k < count; k++) {
                    fields.add(r.readString());
                }
            }
            for (long k = 2; k < parts; k++) {
                r.skip();
            }
            out.add(new LogEntry(seq, fields));
        }
        return out;
    }
}
