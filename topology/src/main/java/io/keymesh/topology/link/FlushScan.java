package io.keymesh.topology.link;

import io.keymesh.storage.apply.ReplicationLog;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.Frames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;

/**
 * Goes over one user db ahead of a received FLUSHDB that the apply library could not apply without
 * scanning the db in one call (a remote apply or flush merge asked for a scan): a scan step at a
 * time, so that the node's clients are served between steps while this link waits
 * (docs/design/merge.md, "Remote flushes").
 */
final class FlushScan {
    private static final Logger log = LoggerFactory.getLogger(FlushScan.class);
    /** Keys per SCAN step: one step is a short call (a flush of this many keys), the node's clients wait no longer. */
    static final int KEYS_PER_STEP = 500;

    private FlushScan() {
    }

    /**
     * Calls {@code args} (a remote apply or flush merge) on {@code conn}; while the reply asks for a scan
     * ahead of a flush, runs it and calls {@code args} again (an apply skips the entries it applied
     * already).
     * Returns the last reply.
     */
    static Object call(BackendClient conn, String databases, List<?> args, TimeSource time) throws IOException {
        Object reply = conn.ok(args);
        for (Request scan = requested(reply); scan != null; scan = requested(reply)) {
            run(conn, databases, scan, time);
            reply = conn.ok(args);
        }
        return reply;
    }

    /**
     * The flush of user db {@code db} at {@code stamp} when {@code reply} asks for a scan ahead of it
     * ({@link ReplicationLog#scanRequest}), else null.
     */
    static Request requested(Object reply) {
        if (!(reply instanceof List<?> l) || l.size() != 4) {
            return null;
        }
        String[] flush = ReplicationLog.scanRequest(l.stream().map(Frames::text).toList());
        return flush == null ? null : new Request(flush[0], flush[1]);
    }

    /** A flush of user db {@code db} at {@code stamp} waiting for the scan ahead of it. */
    record Request(String db, String stamp) {
    }

    /** Runs every step of the scan for {@code request} on {@code conn}; returns the number of steps. */
    static int run(BackendClient conn, String databases, Request request, TimeSource time) throws IOException {
        long started = time.monotonicNanos();
        log.info("flush of db {} at {}: this node's logs cannot say which keys it keeps; going over the db ahead of it"
                + " ({} keys per step, this link waits meanwhile)", request.db(), request.stamp(), KEYS_PER_STEP);
        String phase = "start";
        String cursor = "0";
        int steps = 0;
        while (!phase.equals("done")) {
            List<?> next = (List<?>) conn.ok(ReplicationLog.flushScanStep(databases, request.db(), request.stamp(),
                    phase, cursor, KEYS_PER_STEP));
            phase = Frames.text(next.get(0));
            cursor = Frames.text(next.get(1));
            steps++;
        }
        log.info("flush of db {} at {}: went over the db ahead of it in {} steps ({} ms)", request.db(), request.stamp(),
                steps, (time.monotonicNanos() - started) / 1_000_000);
        return steps;
    }
}
