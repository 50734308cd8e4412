package io.keymesh.topology.wire;

import java.util.List;

/** What travels on a link once it streams; {@link Frames} encodes and decodes them. */
public sealed interface LinkFrame {

    /**
     * First frame after PULL: how the sender serves {@code origin}, from {@code seq} ("partial" or
     * "snapshot"); for a snapshot, {@code keys} is how many keys the sender holds as it begins (an
     * estimate for the receiver's progress), -1 when not sent.
     */
    record Sync(String mode, String origin, long seq, long keys) implements LinkFrame {
        public static final String PARTIAL = "partial";
        public static final String SNAPSHOT = "snapshot";

        /** A Sync without a key count. */
        public Sync(String mode, String origin, long seq) {
            this(mode, origin, seq, -1);
        }
    }

    /** Consecutive log entries of one origin; never splits a transaction. */
    record Batch(String origin, List<LogEntry> entries) implements LinkFrame {
        public Batch {
            entries = List.copyOf(entries);
        }

        public long lastSeq() {
            return entries.isEmpty() ? 0 : entries.get(entries.size() - 1).seq();
        }
    }

    /** Liveness and the sender's clock: its current stamp and the head of the origin's log. */
    record Heartbeat(String stamp, long headSeq) implements LinkFrame {
    }

    /** A user db's flush epoch on a snapshot's sender (the stamp of its last FLUSHDB), sent before the keys. */
    record SnapshotFlush(int db, String stamp) implements LinkFrame {
    }

    /** A function library on a snapshot's sender, as the apply library records it ("<stamp> <code>", or "<stamp>" once deleted). */
    record SnapshotLibrary(String name, String record) implements LinkFrame {
    }

    /** One key of a snapshot: user db, key name and the items of the apply library's key dump. */
    record SnapshotKey(int db, byte[] key, List<byte[]> items) implements LinkFrame {
        public SnapshotKey {
            items = List.copyOf(items);
        }
    }

    /** End of a snapshot: the receiver's position for {@code origin} becomes {@code seq}. */
    record SnapshotEnd(String origin, long seq) implements LinkFrame {
    }

    /** A PUBLISH (or SPUBLISH when sharded) made by a client of the sender: publish once, never store. */
    record Publish(boolean sharded, byte[] channel, byte[] message) implements LinkFrame {
    }

    /** Receiver to sender: everything of {@code origin} up to {@code seq} is applied. */
    record Ack(String origin, long seq) implements LinkFrame {
    }
}
