package io.keymesh.topology.link;

import io.keymesh.topology.wire.LinkFrame;

import java.io.IOException;

/**
 * The backend steps a link driver performs for the pulling machine's actions, opened to the
 * simulation's driver (io.keymesh.topology.sim) exactly as the production driver calls them:
 * {@link LinkAction.Apply} with {@link BatchApply}, {@link LinkAction.ApplySnapshot} with {@link SnapshotApply}.
 */
public final class LinkSteps {
    private LinkSteps() {
    }

    /** km_r for {@code batch}; returns km:pos of its origin afterwards. */
    public static long apply(BackendClient conn, int databases, LinkFrame.Batch batch) throws IOException {
        return BatchApply.apply(conn, Integer.toString(databases), batch);
    }

    /** Merges one snapshot frame (flush epoch, function library or key). */
    public static void applySnapshot(BackendClient conn, int databases, LinkFrame frame) throws IOException {
        String n = Integer.toString(databases);
        if (frame instanceof LinkFrame.SnapshotFlush f) {
            SnapshotApply.flush(conn, n, f);
        } else if (frame instanceof LinkFrame.SnapshotLibrary l) {
            SnapshotApply.library(conn, n, l);
        } else if (frame instanceof LinkFrame.SnapshotKey k) {
            SnapshotApply.key(conn, n, k);
        } else {
            throw new IllegalArgumentException("not a snapshot frame: " + frame.getClass().getSimpleName());
        }
    }
}
