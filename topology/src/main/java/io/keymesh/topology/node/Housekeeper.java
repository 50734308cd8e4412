package io.keymesh.topology.node;

import io.keymesh.storage.apply.ApplyCalls;
import io.keymesh.storage.apply.ReplicationLog;
import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.link.BackendAccess;
import io.keymesh.topology.link.BackendClient;
import io.keymesh.topology.link.BusyWait;
import io.keymesh.topology.link.LogStore;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.clock.Stamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Keeps the log and tombstones bounded, every {@code housekeepingMillis}: trims each origin's log
 * ({@link #trim}: the own log as its readers acknowledge it, others' once no replica or peer may pull them from here,
 * both by age and bytes), collects tombstones older than the tombstone maximum age ({@link ApplyCalls#gcStep}),
 * and marks how far the logs stand against the clock ({@link ApplyCalls#mark}), so that a remote flush reads the
 * entries since a mark instead of scanning its database (docs/design/merge.md), and loads the
 * function libraries peers changed into its redis-server ({@link FunctionSync}).
 */
final class Housekeeper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Housekeeper.class);
    private static final int AGE_SCAN_ENTRIES_MAX = 100_000;

    private final Mesh mesh;
    private final BackendAccess backend;
    private final TimeSource time;
    private final Thread thread;
    private volatile boolean closed;
    private boolean warned;
    /** A script holding the backend makes housekeeping wait (logged once), not fail. */
    private final BusyWait busy = new BusyWait("log housekeeping").whileWaiting(() -> !closed);
    private static final int GC_STEP_KEYS = 100;
    /** Keys named in one log line of unreadable metadata, at most. */
    private static final int UNREADABLE_NAMED_MAX = 10;
    private final FunctionSync functions = new FunctionSync();
    private int gcDb;                   // where the incremental tombstone collection stands
    private String gcCursor = "0";
    private final List<String> gcUnreadable = new ArrayList<>();    // keys the current pass over gcDb skipped
    private final Map<Integer, Integer> unreadableByDb = new HashMap<>();   // per db, at its last full pass
    /** Every origin's position at the last mark: other origins' logs are kept from there. */
    private Map<String, Long> marked = Map.of();
    private boolean capWarned;

    Housekeeper(Mesh mesh, BackendAccess backend, TimeSource time) {
        this.mesh = mesh;
        this.backend = backend;
        this.time = time;
        busy.measuredBy(time);
        this.thread = new Thread(this::loop, "keymesh-housekeeping");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void loop() {
        MeshSettings s = mesh.settings();
        // the first round runs at once, so that a FLUSHDB in the node's first second finds a mark
        for (boolean first = true; !closed; first = false) {
            try {
                Thread.sleep(first ? 0 : s.housekeepingMillis());
            } catch (InterruptedException e) {
                return;
            }
            try (BackendClient conn = backend.open(2 * s.databases(), busy)) {
                LogStore store = new LogStore(conn, s.databases());
                Map<String, LogStats> stats = new TreeMap<>();
                for (String origin : store.origins()) {
                    trim(store, origin);
                    stats.put(origin, stats(store, origin));
                }
                mesh.logStats(stats);
                mark(conn, s);
                readFlushWays(conn);
                collectTombstones(conn, s);
                functions.run(conn);
                warned = false;
            } catch (IOException | RuntimeException e) {
                if (!closed && !warned) {
                    warned = true;
                    log.warn("log housekeeping failed (will retry): {}", e.toString());
                }
            }
        }
    }

    /**
     * Records every origin's position here, then a clock reading taken after it: every entry up to
     * those positions has a stamp earlier than the reading (its stamp was issued or observed by this
     * clock before it was logged).
     */
    private void mark(BackendClient conn, MeshSettings s) throws IOException {
        List<?> positions = (List<?>) conn.ok(ReplicationLog.readPositions());
        Map<String, Long> now = new HashMap<>();
        for (int i = 0; i + 1 < positions.size(); i += 2) {
            now.put(text(positions.get(i)), Long.parseLong(text(positions.get(i + 1))));
        }
        String reading = Stamp.of(mesh.clock().now(), s.nodeId()).substring(0, Stamp.HLC_DIGITS);
        conn.ok(ApplyCalls.mark(s.databases(), reading, positions));
        marked = now;
    }

    /** Passes the backend's count of flushes per way ({@link ApplyCalls#readFlushCounts}) to the mesh, for INFO. */
    private void readFlushWays(BackendClient conn) throws IOException {
        List<?> flat = (List<?>) conn.ok(ApplyCalls.readFlushCounts());
        Map<String, Long> ways = new TreeMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            ways.put(text(flat.get(i)), Long.parseLong(text(flat.get(i + 1))));
        }
        mesh.flushWays(ways);
    }

    private static String text(Object reply) {
        return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(reply);
    }

    /**
     * One incremental step of tombstone collection per tick (each scans GC_STEP_KEYS metadata keys
     * of one database), so a large keyspace never blocks the backend; a full pass over every
     * database takes (keys / GC_STEP_KEYS) ticks, far shorter than the tombstone age it enforces.
     */
    private void collectTombstones(BackendClient conn, MeshSettings s) throws IOException {
        long cutoff = Math.max(0, time.wallMillis() - s.tombstoneMaxAgeMillis());
        List<?> step = (List<?>) conn.ok(ApplyCalls.gcStep(s.databases(), Stamp.of(Hlc.pack(cutoff, 0), "00000000"), gcDb,
                gcCursor, GC_STEP_KEYS));
        Object next = step.get(0);
        for (int i = 2; i < step.size(); i++) {
            gcUnreadable.add(text(step.get(i)));
        }
        gcCursor = text(next);
        if (gcCursor.equals("0")) {
            reportUnreadable(gcDb);
            gcDb = (gcDb + 1) % s.databases();
        }
    }

    /**
     * Once per pass over {@code db}: says (log and INFO {@code mesh_metadata_unreadable}) which keys'
     * metadata the collection could not read and skipped; they stay as they are.
     */
    private void reportUnreadable(int db) {
        int n = gcUnreadable.size();
        if (n > 0) {
            List<String> named = gcUnreadable.subList(0, Math.min(n, UNREADABLE_NAMED_MAX));
            log.warn("tombstone collection of db {} skipped {} key(s) whose metadata cannot be read: {}{}", db, n,
                    named, n > named.size() ? " ..." : "");
        }
        unreadableByDb.put(db, n);
        mesh.metadataUnreadable(unreadableByDb.values().stream().mapToLong(Integer::longValue).sum());
        gcUnreadable.clear();
    }

    /** What the metrics show of one origin's log, read after its trim. */
    private static LogStats stats(LogStore store, String origin) throws IOException {
        long first = store.firstSeq(origin);
        long oldest = 0;
        if (first >= 0) {
            List<LogEntry> head = store.range(origin, first - 1, 1);
            String stamp = head.isEmpty() ? null : head.get(0).stamp();
            oldest = stamp == null ? 0 : Hlc.millis(Stamp.hlc(stamp));
        }
        return new LogStats(store.length(origin), store.memoryBytes(origin), first, store.position(origin), oldest);
    }

    /**
     * Trims one origin's log. This node's own log: up to what every peer and replica acknowledged,
     * and by age and bytes, but not past what a link connected now still reads, up to a hard cap of
     * {@link RetentionPolicy#HOLD_FACTOR} times the retention bytes. Another origin's log (kept here
     * for replicas, and for peers this node may relay it to): up to what every replica that may pull
     * it from here and every peer but the origin acknowledged of it; age and bytes as for the own log. Either way by acknowledgement no
     * further than the previous mark (a remote flush reads the entries since a mark), and the newest
     * entry stays.
     */
    private void trim(LogStore store, String origin) throws IOException {
        MeshSettings s = mesh.settings();
        long first = store.firstSeq(origin);
        if (first < 0) {
            return;
        }
        long head = store.position(origin);
        long length = store.length(origin);
        long bytes = store.memoryBytes(origin);
        long ageFloor = ageFloor(store, origin, first, time.wallMillis() - s.logRetentionMillis());
        long bytesFloor = RetentionPolicy.bytesFloor(first, length, bytes, s.logRetentionBytes());
        long retentionFloor = Math.max(ageFloor, bytesFloor);
        long to;
        if (origin.equals(mesh.nodeId())) {
            long reading = mesh.ownLogReadingFloor();
            long capBytes = RetentionPolicy.HOLD_FACTOR * s.logRetentionBytes();
            long capFloor = RetentionPolicy.bytesFloor(first, length, bytes, capBytes);
            long acked = Math.min(mesh.ownLogAckFloor(), marked.getOrDefault(origin, 0L));
            to = RetentionPolicy.trimTo(first, head, acked, RetentionPolicy.held(retentionFloor, reading),
                    capFloor);
            boolean held = retentionFloor >= first && retentionFloor > reading;
            reportHold(origin, held ? mesh.ownLogReadersBelow(retentionFloor) : List.of(), bytes,
                    capBytes, capFloor > reading);
        } else {
            long relayed = Math.min(Math.min(mesh.replicaFloor(origin), mesh.peerFloor(origin)), marked.getOrDefault(origin, 0L));
            to = RetentionPolicy.trimTo(first, head, relayed, ageFloor, bytesFloor);
        }
        if (to >= first) {
            store.trim(origin, to);
            log.debug("trimmed log of {} up to {} (age {}, bytes {})", origin, to, ageFloor, bytesFloor);
        }
    }

    /** Says (log and INFO mesh_log_held_for) when links still reading the own log hold it past its retention. */
    private void reportHold(String origin, List<String> readers, long bytes, long capBytes, boolean capped) {
        String ids = String.join(",", readers);
        if (!ids.equals(mesh.logHeldFor())) {
            if (ids.isEmpty()) {
                log.info("log of {}: no longer held past its retention", origin);
            } else {
                log.info("log of {} is {} MB, past log-retention-age or -bytes; held for {} still reading it (hard cap {} MB)",
                        origin, bytes >> 20, ids, capBytes >> 20);
            }
            mesh.logHeldFor(ids);
        }
        if (capped && !capWarned) {
            log.warn("log of {} reached its hard cap ({} MB, {} x log-retention-bytes): {} will resync by snapshot",
                    origin, capBytes >> 20, RetentionPolicy.HOLD_FACTOR, ids);
        }
        capWarned = capped;
    }

    /** The last sequence whose stamp is older than {@code cutoffMillis}, or first - 1 when none. */
    private static long ageFloor(LogStore store, String origin, long first, long cutoffMillis) throws IOException {
        long floor = first - 1;
        long after = first - 1;
        int scanned = 0;
        int count = 1;         // the oldest entry alone usually answers (it is within retention): read more only if not
        while (scanned < AGE_SCAN_ENTRIES_MAX) {
            List<LogEntry> chunk = store.range(origin, after, count);
            for (LogEntry e : chunk) {
                String stamp = e.stamp();
                if (stamp == null || Hlc.millis(Stamp.hlc(stamp)) >= cutoffMillis) {
                    return floor;
                }
                floor = e.seq();
            }
            if (chunk.size() < count) {
                return floor;
            }
            after = chunk.get(chunk.size() - 1).seq();
            scanned += chunk.size();
            count = 1000;
        }
        return floor;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
