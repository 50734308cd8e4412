package io.keymesh.topology.link;

import io.keymesh.storage.apply.SnapshotCalls;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.LinkFrame;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Merges received snapshot frames into the local backend (the pulling side of peer and replica links). */
final class SnapshotApply {
    private SnapshotApply() {
    }

    /** A user db's flush epoch on the sender: a FLUSHDB at that stamp when later than ours. */
    static void flush(BackendClient conn, String databases, LinkFrame.SnapshotFlush flush, TimeSource time)
            throws IOException {
        FlushScan.call(conn, databases, SnapshotCalls.mergeFlush(databases, flush.db(), flush.stamp()), time);
    }

    /** A function library on the sender: recorded when its stamp is later than ours. */
    static void library(BackendClient conn, String databases, LinkFrame.SnapshotLibrary library) throws IOException {
        conn.ok(SnapshotCalls.mergeLibrary(databases, library.name(), library.record()));
    }

    /**
     * One key with its metadata, merged by the merge rules; an error reply (a DUMP payload Redis
     * cannot restore: truncated, its checksum wrong, or corrupt inside, which the server's
     * {@code sanitize-dump-payload} finds) refuses the frame ({@link FrameRefusedException}).
     */
    static void key(BackendClient conn, String databases, LinkFrame.SnapshotKey key) throws IOException {
        try {
            conn.ok(SnapshotCalls.mergeKey(databases, key.db(), key.key(), key.items()));
        } catch (BackendCallException e) {
            throw new FrameRefusedException("upstream sent SnapshotKey " + Stamp.quote(new String(key.key(),
                    StandardCharsets.ISO_8859_1)) + " of db " + key.db() + " that the node's redis-server refused: "
                    + e.getMessage());
        }
    }
}
