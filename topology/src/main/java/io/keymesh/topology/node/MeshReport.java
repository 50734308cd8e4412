package io.keymesh.topology.node;

import io.keymesh.topology.link.PullStatus;
import io.keymesh.topology.link.ServeStatus;
import io.keymesh.topology.link.SnapshotProgress;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mesh's state as ordered field/value pairs, shared by INFO replication and the KEYMESH
 * PEERS / STATUS commands so both always say the same.
 */
public final class MeshReport {
    private MeshReport() {
    }

    /** Node-wide fields. */
    public static Map<String, String> summary(Mesh mesh, long nowWallMillis) {
        List<PullStatus> pulls = mesh.pulls();
        List<ServeStatus> serves = mesh.serves();
        long partial = 0;
        long snapshot = 0;
        long received = 0;
        long connected = 0;
        for (PullStatus p : pulls) {
            partial += p.partialResyncs();
            snapshot += p.snapshotResyncs();
            received += p.bytesReceived();
            if (p.state().equals("streaming") || p.state().equals("snapshot")) {
                connected++;
            }
        }
        long sent = 0;
        for (ServeStatus s : serves) {
            sent += s.bytesSent();
        }
        Map<String, String> m = new LinkedHashMap<>();
        m.put("mesh_node_id", mesh.nodeId());
        m.put("mesh_peers_configured", Integer.toString(mesh.settings().peers().size()));
        m.put("mesh_peers_connected", Long.toString(connected));
        m.put("mesh_peers_served", Integer.toString(serves.size()));
        m.put("mesh_partial_resyncs", Long.toString(partial));
        m.put("mesh_snapshot_resyncs", Long.toString(snapshot));
        m.put("mesh_log_held_for", mesh.logHeldFor());
        m.put("mesh_metadata_unreadable", Long.toString(mesh.metadataUnreadable()));
        m.put("mesh_bytes_received", Long.toString(received));
        m.put("mesh_bytes_sent", Long.toString(sent));
        m.put("mesh_clock_refusals", Long.toString(mesh.clockRefusals()));
        m.put("mesh_secret_refusals", Long.toString(mesh.secretRefusals()));
        m.put("mesh_format_refusals", Long.toString(mesh.formatRefusals()));
        m.put("mesh_last_refusal", mesh.lastRefusal());
        Map<String, Long> ways = mesh.flushWays();
        m.put("mesh_flushes_logged", Long.toString(ways.getOrDefault("logged", 0L)));
        m.put("mesh_flushes_scanned_ahead", Long.toString(ways.getOrDefault("ahead", 0L)));
        m.put("mesh_flushes_scanned", Long.toString(ways.getOrDefault("scanned", 0L)));
        StringBuilder why = new StringBuilder();
        ways.forEach((way, n) -> {
            if (way.startsWith("scanned:")) {
                why.append(why.length() == 0 ? "" : ",").append(way.substring("scanned:".length())).append('=').append(n);
            }
        });
        m.put("mesh_flushes_scan_reasons", why.toString());
        return m;
    }

    /** One entry per configured peer: the link pulled from it and, when it pulls from us, that link. */
    public static List<Map<String, String>> peers(Mesh mesh, long nowWallMillis) {
        List<ServeStatus> serves = mesh.serves();
        List<Map<String, String>> out = new ArrayList<>();
        for (PullStatus p : mesh.pulls()) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("addr", p.address());
            m.put("id", p.peerId());
            m.put("state", p.state());
            m.put("waiting", p.waiting());
            m.put("pos", Long.toString(p.position()));
            m.put("lag_ops", Long.toString(p.lagOps()));
            m.put("lag_ms", Long.toString(p.lagMillis(nowWallMillis)));
            m.put("partial_resyncs", Long.toString(p.partialResyncs()));
            m.put("snapshot_resyncs", Long.toString(p.snapshotResyncs()));
            m.put("snapshot_keys", Long.toString(p.keysMerged()));
            SnapshotProgress sp = p.snapshot();
            long now = mesh.time().monotonicNanos();
            m.put("snapshot_running", sp.running() ? "1" : "0");
            m.put("snapshot_keys_done", Long.toString(sp.keys()));
            m.put("snapshot_keys_total", Long.toString(sp.totalKeys()));
            m.put("snapshot_bytes_done", Long.toString(sp.bytes()));
            m.put("snapshot_bytes_total", Long.toString(sp.totalBytes()));
            m.put("snapshot_keys_per_sec", Long.toString(Math.round(sp.keysPerSecond(now))));
            m.put("snapshot_eta_sec", Long.toString(sp.etaSeconds(now)));
            m.put("bytes_received", Long.toString(p.bytesReceived()));
            m.put("clock_refusals", Long.toString(p.clockRefusals()));
            ServeStatus s = null;
            for (ServeStatus c : serves) {
                if (!p.peerId().isEmpty() && c.peerId().equals(p.peerId())) {
                    s = c;
                }
            }
            m.put("served", s == null ? "no" : s.state());
            m.put("acked", Long.toString(s == null ? 0 : s.ackedSeq()));
            m.put("unacked_ops", Long.toString(s == null ? 0 : s.lagOps()));
            m.put("bytes_sent", Long.toString(s == null ? 0 : s.bytesSent()));
            m.put("last_error", p.lastError());
            out.add(m);
        }
        return out;
    }
}
