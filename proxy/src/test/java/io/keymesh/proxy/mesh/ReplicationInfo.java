package io.keymesh.proxy.mesh;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The replication counters a node reports in {@code INFO replication}, read as a user would grep
 * them: the node-wide "mesh_partial_resyncs" / "mesh_snapshot_resyncs" totals, or else every
 * per-peer "name=value" that mentions partial or snapshot resyncs, summed.
 */
public record ReplicationInfo(String text, long partialResyncs, long snapshotResyncs) {
    private static final Pattern PARTIAL = Pattern.compile("(?i)([a-z0-9_]*partial[a-z0-9_]*)[=:](\\d+)");
    private static final Pattern SNAPSHOT = Pattern.compile("(?i)([a-z0-9_]*(?:snapshot|full)[a-z0-9_]*)[=:](\\d+)");

    /** Reads {@code INFO replication} of {@code node}. */
    public static ReplicationInfo of(MeshNode node) {
        String text = node.sync().info("replication");
        return new ReplicationInfo(text, sum(PARTIAL, text), sum(SNAPSHOT, text));
    }

    /** The node-wide total ("mesh_..." field) when the node reports one, else the sum of the per-peer fields. */
    private static long sum(Pattern p, String text) {
        long total = 0;
        long perPeer = 0;
        boolean hasTotal = false;
        Matcher m = p.matcher(text);
        while (m.find()) {
            String name = m.group(1).toLowerCase();
            if (!name.contains("sync")) {
                continue;
            }
            if (name.startsWith("mesh_")) {
                hasTotal = true;
                total += Long.parseLong(m.group(2));
            } else {
                perPeer += Long.parseLong(m.group(2));
            }
        }
        return hasTotal ? total : perPeer;
    }
}
