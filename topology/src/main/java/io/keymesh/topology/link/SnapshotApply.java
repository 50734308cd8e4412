package io.keymesh.topology.link;

import io.keymesh.storage.apply.SnapshotCalls;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.LinkFrame;

import java.io.IOException;

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

    /** One key with its metadata, merged by the merge rules. */
    static void key(BackendClient conn, String databases, LinkFrame.SnapshotKey key) throws IOException {
        conn.ok(SnapshotCalls.mergeKey(databases, key.db(), key.key(), key.items()));
    }
}
