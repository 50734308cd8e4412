package io.keymesh.topology.link;

import io.keymesh.storage.apply.SnapshotCalls;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * A snapshot's frames, made in steps so that no thread waits for the channel between them: after
 * the {@link #sync} frame, first each user database's flush epoch as a {@code SnapshotFlush} frame
 * and each recorded function library as a {@code SnapshotLibrary} frame, then every key as a {@code
 * SnapshotKey} frame (items from the apply library's key dump: its value and metadata): each user
 * database's keys, then the keys of its metadata database that are not in it (tombstones), so each
 * key is sent once. Each {@link #next} step is one backend call's work, at most one SCAN page and
 * about {@link #STEP_BYTES} of dumps; the driver writes its frames and asks for the next step once
 * the channel is writable again, so what is in flight stays bounded by bytes. Steps run one at a
 * time (a link's backend calls do), over a connection with the node-state database (db 2N)
 * selected, which they leave so.
 */
final class SnapshotWriter {
    /** Dumped bytes (keys and items) after which a step ends; a step holds at least one key. */
    static final int STEP_BYTES = 64 * 1024;

    /** The COUNT hint of each SCAN page in production. */
    static final int SCAN_COUNT = 100;

    /** Returns those of its KEYS absent from the selected database (read-only). */
    private static final String ABSENT_KEYS = "local out = {} for _, k in ipairs(KEYS) do "
            + "if redis.call('EXISTS', k) == 0 then out[#out + 1] = k end end return out";

    private final int databases;
    private final String userDatabases;
    private final String scanCount;
    private boolean headed;                               // epochs and libraries made
    private int db;                                       // the database scanned: users' 0..N-1, then metadata N..2N-1
    private boolean scanned;                              // the database's SCAN began
    private String cursor = "0";
    private final Deque<byte[]> pending = new ArrayDeque<>();     // keys of the page scanned, not dumped yet

    /** A snapshot of a node with {@code databases} user databases, from its start. */
    SnapshotWriter(int databases) {
        this(databases, SCAN_COUNT);
    }

    /**
     * A snapshot whose SCAN pages ask for {@code scanCount} keys. Each page goes out in key order,
     * so a SCAN that returns every key in one page (a count above the key count) sends them in an
     * order that does not depend on the redis-server's hash seed: the simulation's runs replay.
     */
    SnapshotWriter(int databases, int scanCount) {
        this.databases = databases;
        this.userDatabases = Integer.toString(databases);
        this.scanCount = Integer.toString(scanCount);
    }

    /**
     * The snapshot's {@code Sync} frame, with about how many keys it sends for the receiver's
     * progress: the larger of the user databases' and the metadata databases' key counts (each key
     * travels once, live or tombstone).
     */
    static LinkFrame.Sync sync(BackendClient conn, int databases) throws IOException {
        long user = 0;
        long metadata = 0;
        try {
            for (int db = 0; db < 2 * databases; db++) {
                select(conn, db);
                long n = ((Number) conn.ok(List.of("DBSIZE"))).longValue();
                if (db < databases) {
                    user += n;
                } else {
                    metadata += n;
                }
            }
        } finally {
            select(conn, 2 * databases);
        }
        return new LinkFrame.Sync(LinkFrame.Sync.SNAPSHOT, SendMachine.ALL_ORIGINS, 0, Math.max(user, metadata));
    }

    /** True once every frame was made. */
    boolean done() {
        return headed && db >= 2 * databases && pending.isEmpty();
    }

    /** The next frames in order (perhaps none: a page whose keys were all sent already). */
    List<LinkFrame> next(BackendClient conn) throws IOException {
        List<LinkFrame> out = new ArrayList<>();
        if (!headed) {
            epochs(conn, out);
            libraries(conn, out);
            headed = true;
            return out;
        }
        if (pending.isEmpty() && db < 2 * databases) {
            scanPage(conn);
        }
        int userDb = db % databases;
        long bytes = 0;
        while (!pending.isEmpty() && bytes < STEP_BYTES) {
            byte[] key = pending.poll();
            Object items = conn.ok(SnapshotCalls.dumpKey(userDatabases, userDb, key));
            if (!(items instanceof List<?> list) || list.isEmpty()) {
                continue;
            }
            List<byte[]> values = list.stream().map(Frames::bytes).toList();
            out.add(new LinkFrame.SnapshotKey(userDb, key, values));
            bytes += key.length;
            for (byte[] v : values) {
                bytes += v.length;
            }
        }
        if (pending.isEmpty() && scanned && cursor.equals("0")) {      // the database's last page is out
            db++;
            scanned = false;
        }
        return out;
    }

    /** The next SCAN page of the current database into {@link #pending}; a metadata page keeps only the keys its user database lacks. */
    private void scanPage(BackendClient conn) throws IOException {
        boolean metadata = db >= databases;
        try {
            select(conn, db);
            List<?> reply = (List<?>) conn.ok(List.of("SCAN", cursor, "COUNT", scanCount));
            cursor = Frames.text(reply.get(0));
            scanned = true;
            List<?> keys = (List<?>) reply.get(1);
            if (metadata) {
                select(conn, db % databases);
                keys = absent(conn, keys);
            }
            List<byte[]> page = new ArrayList<>(keys.size());
            for (Object k : keys) {
                page.add(Frames.bytes(k));
            }
            page.sort(Arrays::compareUnsigned);
            pending.addAll(page);
        } finally {
            select(conn, 2 * databases);
        }
    }

    /**
     * Of {@code keys} (a page of a metadata database), those absent from the user database {@code
     * conn} has selected: the others were sent from the user database's pass already (a key there
     * for the whole pass is in its SCAN; one that changed since the snapshot began is in the log
     * that follows it), so each key travels once.
     */
    private static List<?> absent(BackendClient conn, List<?> keys) throws IOException {
        if (keys.isEmpty()) {
            return keys;
        }
        List<Object> args = new ArrayList<>(3 + keys.size());
        args.add("EVAL");
        args.add(ABSENT_KEYS);
        args.add(Integer.toString(keys.size()));
        args.addAll(keys);
        return (List<?>) conn.ok(args);
    }

    /** The recorded function libraries, loads and deletes alike, each at its stamp. */
    private static void libraries(BackendClient conn, List<LinkFrame> out) throws IOException {
        List<?> libraries = (List<?>) conn.ok(SnapshotCalls.readLibraries());
        for (int i = 0; i + 1 < libraries.size(); i += 2) {
            out.add(new LinkFrame.SnapshotLibrary(Frames.text(libraries.get(i)), Frames.text(libraries.get(i + 1))));
        }
    }

    /**
     * The flush epochs: the FLUSHDBs they come from are in the log
     * before the snapshot's position, which the receiver never replays.
     */
    private void epochs(BackendClient conn, List<LinkFrame> out) throws IOException {
        List<?> epochs = (List<?>) conn.ok(SnapshotCalls.readFlushEpochs());
        for (int i = 0; i + 1 < epochs.size(); i += 2) {
            int userDb = Integer.parseInt(Frames.text(epochs.get(i)));
            if (userDb >= 0 && userDb < databases) {
                out.add(new LinkFrame.SnapshotFlush(userDb, Frames.text(epochs.get(i + 1))));
            }
        }
    }

    private static void select(BackendClient conn, int db) throws IOException {
        conn.ok(List.of("SELECT", Integer.toString(db)));
    }
}
