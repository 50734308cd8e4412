package io.keymesh.topology.link;

import io.keymesh.storage.apply.ReplicationLog;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;

import java.io.IOException;
import java.util.List;

/** Applies one received log batch to the local backend with the apply library's remote apply (the pulling side of peer and replica links). */
final class BatchApply {
    private BatchApply() {
    }

    /** Applies {@code batch} on {@code conn}; returns the position the library reports for the batch's origin. */
    static long apply(BackendClient conn, String databases, LinkFrame.Batch batch, TimeSource time) throws IOException {
        List<Object> args = ReplicationLog.applyStart(databases, batch.origin(), batch.entries().size());
        for (LogEntry e : batch.entries()) {
            ReplicationLog.addEntry(args, e.seq(), e.fields());
        }
        // a flush the logs cannot say what to keep for stops the apply after the entries before it; the
        // db is gone over ahead of it step by step, then the library takes the batch again
        Object reply = FlushScan.call(conn, databases, args, time);
        return reply instanceof Long l ? l : Long.parseLong(Frames.text(reply));
    }
}
