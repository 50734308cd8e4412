package io.keymesh.topology.link;

import io.keymesh.storage.apply.SnapshotCalls;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Streams a snapshot: first each user database's flush epoch as a {@code SnapshotFlush} frame and
 * each recorded function library as a {@code SnapshotLibrary} frame, then every key as a {@code SnapshotKey}
 * frame (items from the apply library's key dump: its value and metadata), key by key, waiting for the channel
 * to be writable before each one: each user database's keys, then the keys of its metadata database
 * that are not in it (tombstones), so each key is sent once.
 */
final class SnapshotWriter {
    /** Returns those of its KEYS absent from the selected database (read-only). */
    private static final String ABSENT_KEYS = "local out = {} for _, k in ipairs(KEYS) do "
            + "if redis.call('EXISTS', k) == 0 then out[#out + 1] = k end end return out";

    /** Runs after each SCAN page (e.g. a heartbeat when one is due). */
    interface PageHook {
        void afterPage() throws IOException;
    }

    private SnapshotWriter() {
    }

    /**
     * About how many keys a snapshot sends now, for the receiver's progress: the larger of the user
     * databases' and the metadata databases' key counts (each key travels once, live or tombstone).
     */
    static long countKeys(BackendAccess backend, int databases) throws IOException, InterruptedException {
        try (BackendClient conn = backend.open(0)) {
            long user = 0;
            long metadata = 0;
            for (int db = 0; db < 2 * databases; db++) {
                conn.ok(List.of("SELECT", Integer.toString(db)));
                long n = ((Number) conn.ok(List.of("DBSIZE"))).longValue();
                if (db < databases) {
                    user += n;
                } else {
                    metadata += n;
                }
            }
            return Math.max(user, metadata);
        }
    }

    /**
     * Sends the snapshot through {@code frames}; stops before the next key when {@code frames} says the
     * link is done, and before the next page or database when {@code cancelled}.
     */
    static void send(BackendAccess backend, int databases, FrameChannel frames, BooleanSupplier cancelled,
                     PageHook pageHook, ServeStatus status) throws IOException, InterruptedException {
        try (BackendClient scan = backend.open(0); BackendClient dump = backend.open(0);
             BackendClient data = backend.open(0)) {
            String n = Integer.toString(databases);
            sendEpochs(scan, databases, frames);
            sendLibraries(scan, databases, frames);
            for (int db = 0; db < 2 * databases && !cancelled.getAsBoolean(); db++) {
                scan.ok(List.of("SELECT", Integer.toString(db)));
                int userDb = db % databases;
                boolean metadata = db >= databases;
                if (metadata) {
                    data.ok(List.of("SELECT", Integer.toString(userDb)));
                }
                String cursor = "0";
                do {
                    List<?> reply = (List<?>) scan.ok(List.of("SCAN", cursor, "COUNT", "100"));
                    cursor = Frames.text(reply.get(0));
                    List<?> keys = (List<?>) reply.get(1);
                    for (Object k : metadata ? absentFrom(data, keys) : keys) {
                        byte[] key = Frames.bytes(k);
                        Object items = dump.ok(SnapshotCalls.dumpKey(n, userDb, key));
                        if (!(items instanceof List<?> list) || list.isEmpty()) {
                            continue;
                        }
                        if (!frames.awaitWritable()) {
                            return;
                        }
                        frames.write(new LinkFrame.SnapshotKey(userDb, key, list.stream().map(Frames::bytes).toList()));
                        status.keysSent.incrementAndGet();
                    }
                    pageHook.afterPage();
                } while (!cursor.equals("0") && !cancelled.getAsBoolean());
            }
        }
    }

    /**
     * Of {@code keys} (a page of a metadata database), those absent from the user database {@code
     * data} has selected: the others were sent from the user database's pass already (a key there
     * for the whole pass is in its SCAN; one that changed since the snapshot began is in the log
     * that follows it), so each key travels once.
     */
    private static List<?> absentFrom(BackendClient data, List<?> keys) throws IOException {
        if (keys.isEmpty()) {
            return keys;
        }
        List<Object> args = new ArrayList<>(3 + keys.size());
        args.add("EVAL");
        args.add(ABSENT_KEYS);
        args.add(Integer.toString(keys.size()));
        args.addAll(keys);
        return (List<?>) data.ok(args);
    }

    /** A hash of the node-state database (db 2N) as {@code read} gives it; {@code conn} is back on db 0 after. */
    private static List<?> nodeHash(BackendClient conn, int databases, List<String> read) throws IOException {
        conn.ok(List.of("SELECT", Integer.toString(2 * databases)));
        List<?> flat = (List<?>) conn.ok(read);
        conn.ok(List.of("SELECT", "0"));
        return flat;
    }

    /** The recorded function libraries, loads and deletes alike, each at its stamp. */
    private static void sendLibraries(BackendClient conn, int databases, FrameChannel frames)
            throws IOException, InterruptedException {
        List<?> libraries = nodeHash(conn, databases, SnapshotCalls.readLibraries());
        for (int i = 0; i + 1 < libraries.size(); i += 2) {
            if (!frames.awaitWritable()) {
                return;
            }
            frames.write(new LinkFrame.SnapshotLibrary(Frames.text(libraries.get(i)), Frames.text(libraries.get(i + 1))));
        }
    }

    /**
     * The flush epochs: the FLUSHDBs they come from are in the log
     * before the snapshot's position, which the receiver never replays.
     */
    private static void sendEpochs(BackendClient conn, int databases, FrameChannel frames)
            throws IOException, InterruptedException {
        List<?> epochs = nodeHash(conn, databases, SnapshotCalls.readFlushEpochs());
        for (int i = 0; i + 1 < epochs.size(); i += 2) {
            int db = Integer.parseInt(Frames.text(epochs.get(i)));
            if (db < 0 || db >= databases) {
                continue;
            }
            if (!frames.awaitWritable()) {
                return;   // the link is done; the key loop stops at its first key too
            }
            frames.write(new LinkFrame.SnapshotFlush(db, Frames.text(epochs.get(i + 1))));
        }
    }
}
