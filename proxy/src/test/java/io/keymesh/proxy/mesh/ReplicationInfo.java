package io.keymesh.proxy.mesh;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The replication counters a node reports in {@code INFO replication}, read as a user would grep
 * them: every "name:value" or "name=value" whose name mentions partial resyncs or snapshot resyncs
 * is summed over all peers.
 */
public record ReplicationInfo(String text, long partialResyncs, long snapshotResyncs) {
    private static final Pattern PARTIAL = Pattern.compile("(?i)([a-z0-9_]*partial[a-z0-9_]*)[=:](\\d+)");
    private static final Pattern SNAPSHOT = Pattern.compile("(?i)([a-z0-9_]*(?:snapshot|full)[a-z0-9_]*)[=:](\\d+)");

    /** Reads {@code INFO replication} of {@code node}. */
    public static ReplicationInfo of(MeshNode node) {
        String text = node.sync().info("replication");
        return new ReplicationInfo(text, sum(PARTIAL, text), sum(SNAPSHOT, text));
    }

    private static long sum(Pattern p, String text) {
        long total = 0;
        Matcher m = p.matcher(text);
        while (m.find()) {
            String name = m.group(1).toLowerCase();
            if (name.contains("resync") || name.contains("sync")) {
                total += Long.parseLong(m.group(2));
            }
        }
        return total;
    }
}
