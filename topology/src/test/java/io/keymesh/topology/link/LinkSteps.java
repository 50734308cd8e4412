package io.keymesh.topology.link;

import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.RespParser;
import io.keymesh.topology.wire.RespStreamReader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The backend steps a link driver performs for the pulling machine's actions, opened to the
 * simulation's driver (io.keymesh.topology.sim) exactly as the production driver calls them:
 * {@link LinkAction.Apply} with {@link BatchApply}, {@link LinkAction.ApplySnapshot} with {@link SnapshotApply},
 * and the frames of {@link LinkAction.SendSnapshot} from {@link SnapshotWriter}.
 */
public final class LinkSteps {
    /** Dumped bytes after which a snapshot's step ends ({@link SnapshotWriter#STEP_BYTES}). */
    public static final int SNAPSHOT_STEP_BYTES = SnapshotWriter.STEP_BYTES;

    /** A SCAN count above any simulated database's key count: one page holds the whole database. */
    private static final int WHOLE_DATABASE_PAGE = 1_000_000;

    private LinkSteps() {
    }

    /** The remote apply of {@code batch}; returns the position of its origin afterwards. */
    public static long apply(BackendClient conn, int databases, LinkFrame.Batch batch, TimeSource time) throws IOException {
        return BatchApply.apply(conn, Integer.toString(databases), batch, time);
    }

    /** Merges one snapshot frame (flush epoch, function library or key). */
    public static void applySnapshot(BackendClient conn, int databases, LinkFrame frame, TimeSource time) throws IOException {
        String n = Integer.toString(databases);
        if (frame instanceof LinkFrame.SnapshotFlush f) {
            SnapshotApply.flush(conn, n, f, time);
        } else if (frame instanceof LinkFrame.SnapshotLibrary l) {
            SnapshotApply.library(conn, n, l);
        } else if (frame instanceof LinkFrame.SnapshotKey k) {
            SnapshotApply.key(conn, n, k);
        } else {
            throw new IllegalArgumentException("not a snapshot frame: " + frame.getClass().getSimpleName());
        }
    }

    /**
     * The frames {@link SendLink} writes for a {@link LinkAction.SendSnapshot}, in order: the
     * snapshot's {@code Sync}, then every step of a {@link SnapshotWriter} (flush epochs, libraries,
     * every key once), written through a {@link FrameChannel} on an in-memory channel and decoded back.
     * Each database's keys come in one SCAN page, so in key order: a run replays whatever the
     * redis-servers' hash seeds.
     */
    public static List<LinkFrame> snapshot(BackendAccess backend, int databases, TimeSource time) throws IOException {
        EmbeddedChannel channel = new EmbeddedChannel();
        try (BackendClient conn = backend.open(2 * databases)) {
            FrameChannel frames = new FrameChannel(channel, new ServeStatus("sim", "peer", "sim"), () -> false, 1000, time);
            frames.write(SnapshotWriter.sync(conn, databases));
            for (List<LinkFrame> step : snapshotSteps(conn, databases, WHOLE_DATABASE_PAGE)) {
                for (LinkFrame frame : step) {
                    frames.write(frame);
                }
            }
            List<LinkFrame> out = new ArrayList<>();
            for (Object m = channel.readOutbound(); m != null; m = channel.readOutbound()) {
                ByteBuf buf = (ByteBuf) m;
                byte[] bytes = ByteBufUtil.getBytes(buf);
                buf.release();
                RespStreamReader in = new RespStreamReader(new ByteArrayInputStream(bytes), RespParser.standard());
                out.add(Frames.decode(in.read()));
            }
            return out;
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /**
     * A snapshot's frames after its {@code Sync}, step by step as a {@link SnapshotWriter} makes
     * them, over {@code conn} (node-state database selected).
     */
    public static List<List<LinkFrame>> snapshotSteps(BackendClient conn, int databases) throws IOException {
        return snapshotSteps(conn, databases, SnapshotWriter.SCAN_COUNT);
    }

    private static List<List<LinkFrame>> snapshotSteps(BackendClient conn, int databases, int scanCount)
            throws IOException {
        SnapshotWriter writer = new SnapshotWriter(databases, scanCount);
        List<List<LinkFrame>> steps = new ArrayList<>();
        while (!writer.done()) {
            steps.add(writer.next(conn));
        }
        return steps;
    }
}
