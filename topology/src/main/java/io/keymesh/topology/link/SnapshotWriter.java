package io.keymesh.topology.link;

import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;

import java.io.IOException;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Streams a snapshot: first each user database's flush epoch as a {@code SnapshotFlush} frame and
 * each recorded function library as a {@code SnapshotLibrary} frame, then every key of every user and metadata database as {@code SnapshotKey} frames (items from
 * {@code km_dumpkey}), key by key, waiting for the channel to be writable before each one.
 */
final class SnapshotWriter {
    /** Runs after each SCAN page (e.g. a heartbeat when one is due). */
    interface PageHook {
        void afterPage() throws IOException;
    }

    private SnapshotWriter() {
    }

    /**
     * Sends the snapshot through {@code frames}; stops before the next key when {@code frames} says the
     * link is done, and before the next page or database when {@code cancelled}.
     */
    static void send(BackendAccess backend, int databases, FrameChannel frames, BooleanSupplier cancelled,
                     PageHook pageHook, ServeStatus status) throws IOException, InterruptedException {
        try (BackendClient scan = backend.open(0); BackendClient dump = backend.open(0)) {
            String n = Integer.toString(databases);
            sendEpochs(scan, databases, frames);
            sendLibraries(scan, databases, frames);
            for (int db = 0; db < 2 * databases && !cancelled.getAsBoolean(); db++) {
                scan.ok(List.of("SELECT", Integer.toString(db)));
                int userDb = db % databases;
                String cursor = "0";
                do {
                    List<?> reply = (List<?>) scan.ok(List.of("SCAN", cursor, "COUNT", "100"));
                    cursor = Frames.text(reply.get(0));
                    for (Object k : (List<?>) reply.get(1)) {
                        byte[] key = Frames.bytes(k);
                        Object items = dump.ok(List.of("FCALL", "km_dumpkey", "0", n, Integer.toString(userDb), key));
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

    /** The function libraries (hash {@code km:libs} in db 2N), loads and deletes alike, each at its stamp. */
    private static void sendLibraries(BackendClient conn, int databases, FrameChannel frames)
            throws IOException, InterruptedException {
        conn.ok(List.of("SELECT", Integer.toString(2 * databases)));
        List<?> libraries = (List<?>) conn.ok(List.of("HGETALL", "km:libs"));
        conn.ok(List.of("SELECT", "0"));
        for (int i = 0; i + 1 < libraries.size(); i += 2) {
            if (!frames.awaitWritable()) {
                return;
            }
            frames.write(new LinkFrame.SnapshotLibrary(Frames.text(libraries.get(i)), Frames.text(libraries.get(i + 1))));
        }
    }

    /**
     * The flush epochs (hash {@code km:epoch} in db 2N): the FLUSHDBs they come from are in the log
     * before the snapshot's position, which the receiver never replays.
     */
    private static void sendEpochs(BackendClient conn, int databases, FrameChannel frames)
            throws IOException, InterruptedException {
        conn.ok(List.of("SELECT", Integer.toString(2 * databases)));
        List<?> epochs = (List<?>) conn.ok(List.of("HGETALL", "km:epoch"));
        conn.ok(List.of("SELECT", "0"));
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
