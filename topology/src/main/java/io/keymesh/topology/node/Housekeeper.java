package io.keymesh.topology.node;

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
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Keeps the log and tombstones bounded, every {@code housekeepingMillis}: trims each origin's log by
 * age and bytes ({@link RetentionPolicy}), this node's own log also up to what every peer and every
 * linked replica has acknowledged, collects tombstones older than the tombstone maximum age (km_gc),
 * and marks how far the logs stand against the clock (km_mark), so that a remote flush reads the
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
    private final FunctionSync functions = new FunctionSync();
    private int gcDb;                   // where the incremental tombstone collection stands
    private String gcCursor = "0";

    Housekeeper(Mesh mesh, BackendAccess backend, TimeSource time) {
        this.mesh = mesh;
        this.backend = backend;
        this.time = time;
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
        List<?> positions = (List<?>) conn.ok(List.of("HGETALL", "km:pos"));
        String reading = Stamp.of(mesh.clock().now(), s.nodeId()).substring(0, Stamp.HLC_DIGITS);
        List<Object> args = new ArrayList<>(5 + positions.size());
        args.addAll(List.of("FCALL", "km_mark", "0", Integer.toString(s.databases()), reading));
        args.addAll(positions);
        conn.ok(args);
    }

    /** Passes the backend's count of flushes per way (km:flushes) to the mesh, for INFO. */
    private void readFlushWays(BackendClient conn) throws IOException {
        List<?> flat = (List<?>) conn.ok(List.of("HGETALL", "km:flushes"));
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
     * One incremental step of tombstone collection per tick (km_gc scans GC_STEP_KEYS metadata keys
     * of one database), so a large keyspace never blocks the backend; a full pass over every
     * database takes (keys / GC_STEP_KEYS) ticks, far shorter than the tombstone age it enforces.
     */
    private void collectTombstones(BackendClient conn, MeshSettings s) throws IOException {
        long cutoff = Math.max(0, time.wallMillis() - s.tombstoneMaxAgeMillis());
        List<?> step = (List<?>) conn.ok(List.of("FCALL", "km_gc", "0", Integer.toString(s.databases()),
                Stamp.of(Hlc.pack(cutoff, 0), "00000000"), Integer.toString(gcDb), gcCursor,
                Integer.toString(GC_STEP_KEYS)));
        Object next = step.get(0);
        gcCursor = text(next);
        if (gcCursor.equals("0")) {
            gcDb = (gcDb + 1) % s.databases();
        }
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

    private void trim(LogStore store, String origin) throws IOException {
        MeshSettings s = mesh.settings();
        long first = store.firstSeq(origin);
        if (first < 0) {
            return;
        }
        long head = store.position(origin);
        long ackFloor = origin.equals(mesh.nodeId()) ? mesh.ownLogAckFloor() : -1;
        long ageFloor = ageFloor(store, origin, first, time.wallMillis() - s.logRetentionMillis());
        long bytesFloor = RetentionPolicy.bytesFloor(first, store.length(origin), store.memoryBytes(origin),
                s.logRetentionBytes());
        long to = RetentionPolicy.trimTo(first, head, ackFloor, ageFloor, bytesFloor);
        if (to >= first) {
            store.trim(origin, to);
            log.debug("trimmed log of {} up to {} (acked {}, age {}, bytes {})", origin, to, ackFloor, ageFloor, bytesFloor);
        }
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
