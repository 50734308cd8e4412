package io.keymesh.proxy.status;

import io.keymesh.proxy.replica.ReplicaRole;
import io.keymesh.proxy.server.NodeContext;
import io.keymesh.topology.failover.UpstreamTracker;
import io.keymesh.topology.link.PullStatus;
import io.keymesh.topology.link.ReplicaStatus;
import io.keymesh.topology.link.ServeStatus;
import io.keymesh.topology.link.SnapshotProgress;
import io.keymesh.topology.node.Mesh;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * This node's view of the mesh for {@code /status.json}: its role and id, the links it pulls from
 * its peers (state, lag, counters, snapshot progress), the replicas pulling from it, and on a
 * replica its upstreams with their health checks. Counters are totals; the page derives rates.
 */
public final class NodeStatus {
    private NodeStatus() {
    }

    /** The status as JSON text at wall time {@code nowMillis}. */
    public static String json(NodeContext node, long nowMillis) {
        return Json.write(of(node, nowMillis));
    }

    static Map<String, Object> of(NodeContext node, long nowMillis) {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> self = new LinkedHashMap<>();
        self.put("id", node.mesh() != null ? node.mesh().nodeId() : node.nodeId().value());
        self.put("role", node.replica() != null ? "replica" : node.mesh() != null ? "primary" : "standalone");
        self.put("address", node.config().cluster().advertise());
        self.put("backend_up", node.backend().up());
        self.put("clients", node.sessions().size());
        self.put("now_ms", nowMillis);
        out.put("node", self);
        out.put("links", node.mesh() == null ? List.of() : links(node.mesh(), nowMillis));
        out.put("replicas", node.mesh() == null || node.replica() != null ? List.of() : replicas(node.mesh(), nowMillis));
        out.put("upstream", node.replica() == null ? null : upstream(node.replica(), nowMillis, node.clock().time().monotonicNanos()));
        return out;
    }

    private static List<Object> links(Mesh mesh, long nowMillis) {
        List<ServeStatus> serves = mesh.serves();
        List<Object> out = new ArrayList<>();
        for (PullStatus p : mesh.pulls()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("peer", p.address());
            m.put("peer_id", p.peerId());
            m.put("state", p.state());
            m.put("up", p.state().equals("streaming"));
            m.put("lag_ms", p.lagMillis(nowMillis));
            m.put("lag_entries", p.lagOps());
            m.put("entries_received", p.entriesApplied());
            m.put("bytes_received", p.bytesReceived());
            m.put("waiting", p.waiting());
            m.put("last_error", p.lastError());
            ServeStatus served = null;
            for (ServeStatus s : serves) {
                if (!p.peerId().isEmpty() && s.peerId().equals(p.peerId()) && !s.state().equals("closed")) {
                    served = s;
                }
            }
            m.put("served_state", served == null ? "no" : served.state());
            m.put("unacked_entries", served == null ? 0 : served.lagOps());
            m.put("bytes_sent", served == null ? 0 : served.bytesSent());
            m.put("snapshot", snapshot(p.snapshot(), mesh.time().monotonicNanos()));
            out.add(m);
        }
        return out;
    }

    private static List<Object> replicas(Mesh mesh, long nowMillis) {
        List<Object> out = new ArrayList<>();
        for (ServeStatus s : mesh.replicas()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("address", s.address());
            m.put("id", s.peerId());
            m.put("state", s.state());
            m.put("acked_seq", s.ackedSeq());
            m.put("unacked_entries", s.lagOps());
            m.put("bytes_sent", s.bytesSent());
            m.put("last_ack_ms_ago", s.lastAckMillis() == 0 ? -1 : Math.max(0, nowMillis - s.lastAckMillis()));
            out.add(m);
        }
        return out;
    }

    private static Map<String, Object> upstream(ReplicaRole replica, long nowMillis, long nowNanos) {
        ReplicaStatus st = replica.status();
        String current = replica.current().map(Object::toString).orElse("");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("current", current);
        m.put("current_id", st.upstreamId());
        m.put("up", replica.linkUp());
        m.put("lag_ms", st.lagMillis(nowMillis));
        m.put("lag_entries", st.lagOps());
        m.put("entries_received", st.entriesApplied());
        m.put("failovers", st.switches());
        m.put("last_error", st.lastError());
        List<Object> health = new ArrayList<>();
        for (UpstreamTracker.UpstreamHealth h : replica.health()) {
            Map<String, Object> u = new LinkedHashMap<>();
            u.put("address", h.upstream().toString());
            u.put("health", h.state());
            u.put("last_check", h.lastCheck());
            u.put("followed", h.upstream().toString().equals(current));
            health.add(u);
        }
        m.put("health", health);
        m.put("snapshot", snapshot(st.snapshot(), nowNanos));
        return m;
    }

    private static Map<String, Object> snapshot(SnapshotProgress sp, long now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("running", sp.running());
        m.put("keys_done", sp.keys());
        m.put("keys_total", sp.totalKeys());
        m.put("bytes_done", sp.bytes());
        m.put("bytes_total", sp.totalBytes());
        m.put("keys_per_sec", Math.round(sp.keysPerSecond(now)));
        m.put("eta_sec", sp.etaSeconds(now));
        return m;
    }
}
