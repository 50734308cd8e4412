package io.keymesh.topology.link;

import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.LinkFrame;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Merges received snapshot frames into the local backend (the pulling side of peer and replica links). */
final class SnapshotApply {
    private SnapshotApply() {
    }

    /** A user db's flush epoch on the sender: {@code FCALL km_mergeflush}, a FLUSHDB at that stamp when later than ours. */
    static void flush(BackendClient conn, String databases, LinkFrame.SnapshotFlush flush, TimeSource time)
            throws IOException {
        FlushScan.call(conn, databases,
                List.of("FCALL", "km_mergeflush", "0", databases, Integer.toString(flush.db()), flush.stamp()), time);
    }

    /** A function library on the sender: {@code FCALL km_mergelib}, recorded when its stamp is later than ours. */
    static void library(BackendClient conn, String databases, LinkFrame.SnapshotLibrary library) throws IOException {
        conn.ok(List.of("FCALL", "km_mergelib", "0", databases, library.name(), library.record()));
    }

    /** One key with its metadata: {@code FCALL km_mergekey}, merged by the merge rules. */
    static void key(BackendClient conn, String databases, LinkFrame.SnapshotKey key) throws IOException {
        List<Object> args = new ArrayList<>(6 + key.items().size());
        args.add("FCALL");
        args.add("km_mergekey");
        args.add("0");
        args.add(databases);
        args.add(Integer.toString(key.db()));
        args.add(key.key());
        args.addAll(key.items());
        conn.ok(args);
    }
}
