package io.keymesh.topology.link;

import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;

import java.io.IOException;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Streams every key of every user and metadata database as {@code SnapshotKey} frames (items from
 * {@code km_dumpkey}), key by key, waiting for the channel to be writable before each one.
 */
final class SnapshotWriter {
    /** Blocks until the link can take more (or is done). */
    interface Gate {
        void await() throws InterruptedException;
    }

    private SnapshotWriter() {
    }

    static void send(BackendAccess backend, int databases, Gate writable, Consumer<LinkFrame> out,
                     BooleanSupplier cancelled, ServeStatus status) throws IOException, InterruptedException {
        try (BackendClient scan = backend.open(0); BackendClient dump = backend.open(0)) {
            String n = Integer.toString(databases);
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
                        writable.await();
                        if (cancelled.getAsBoolean()) {
                            return;
                        }
                        out.accept(new LinkFrame.SnapshotKey(userDb, key, list.stream().map(Frames::bytes).toList()));
                        status.keysSent.incrementAndGet();
                    }
                } while (!cursor.equals("0") && !cancelled.getAsBoolean());
            }
        }
    }
}
