package io.keymesh.topology.link;

import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Applies one received log batch to the local backend with {@code FCALL km_r} (the pulling side of peer and replica links). */
final class BatchApply {
    private BatchApply() {
    }

    /** Runs km_r for {@code batch} on {@code conn}; returns the position km_r reports for the batch's origin. */
    static long apply(BackendClient conn, String databases, LinkFrame.Batch batch) throws IOException {
        List<Object> args = new ArrayList<>(8 + batch.entries().size() * 8);
        args.add("FCALL");
        args.add("km_r");
        args.add("0");
        args.add(databases);
        args.add(batch.origin());
        args.add(Integer.toString(batch.entries().size()));
        for (LogEntry e : batch.entries()) {
            args.add(Long.toString(e.seq()));
            args.add(Integer.toString(e.fields().size() / 2));
            args.addAll(e.fields());
        }
        Object reply = conn.ok(args);
        return reply instanceof Long l ? l : Long.parseLong(Frames.text(reply));
    }
}
