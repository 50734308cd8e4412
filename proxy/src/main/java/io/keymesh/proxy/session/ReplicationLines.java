package io.keymesh.proxy.session;

import io.keymesh.proxy.replica.ReplicaRole;
import io.keymesh.proxy.server.NodeContext;
import io.keymesh.topology.failover.UpstreamTracker;
import io.keymesh.topology.failover.WriteQuorum;
import io.keymesh.topology.health.UpstreamAddress;
import io.keymesh.topology.link.ReplicaStatus;
import io.keymesh.topology.link.ServeStatus;
import io.keymesh.topology.link.SnapshotProgress;

import java.util.List;
import java.util.Optional;

/**
 * The role lines of INFO replication in Redis' terms: on a replica {@code role:slave}, the master_*
 * fields for the followed upstream and keymesh's own (each upstream's health, lag, switches and resync
 * counts); on a primary {@code connected_slaves:N} and one {@code slaveN:} line per replica pulling.
 */
final class ReplicationLines {
    private ReplicationLines() {
    }

    /** Lines replacing the backend's {@code role:master} (joined with CRLF, no trailing CRLF). */
    static String role(NodeContext node) {
        ReplicaRole replica = node.replica();
        if (replica == null) {
            return "role:master";
        }
        ReplicaStatus st = replica.status();
        Optional<UpstreamAddress> up = replica.current();
        long now = node.clock().time().wallMillis();
        StringBuilder out = new StringBuilder(512);
        out.append("role:slave");
        line(out, "master_host", up.map(UpstreamAddress::host).orElse(""));
        line(out, "master_port", up.map(u -> Integer.toString(u.port())).orElse("0"));
        line(out, "master_link_status", replica.linkUp() ? "up" : "down");
        line(out, "master_last_io_seconds_ago", st.lastIoMillis() == 0 ? "-1"
                : Long.toString(Math.max(0, (now - st.lastIoMillis()) / 1000)));
        SnapshotProgress sp = st.snapshot();
        long nanos = node.clock().time().monotonicNanos();
        line(out, "master_sync_in_progress", sp.running() ? "1" : "0");
        if (sp.running()) {     // Redis' fields while a full sync loads, then keymesh's key counts
            line(out, "master_sync_total_bytes", Long.toString(sp.totalBytes()));
            line(out, "master_sync_read_bytes", Long.toString(sp.bytes()));
            line(out, "master_sync_left_bytes", Long.toString(sp.totalBytes() < 0 ? -1 : sp.totalBytes() - sp.bytes()));
            line(out, "master_sync_perc", sp.totalBytes() <= 0 ? "0.00"
                    : String.format(java.util.Locale.ROOT, "%.2f", 100.0 * sp.bytes() / sp.totalBytes()));
            line(out, "master_sync_last_io_seconds_ago", st.lastIoMillis() == 0 ? "-1"
                    : Long.toString(Math.max(0, (now - st.lastIoMillis()) / 1000)));
        }
        line(out, "keymesh_sync_keys_done", Long.toString(sp.keys()));
        line(out, "keymesh_sync_keys_total", Long.toString(sp.totalKeys()));
        line(out, "keymesh_sync_bytes_done", Long.toString(sp.bytes()));
        line(out, "keymesh_sync_bytes_total", Long.toString(sp.totalBytes()));
        line(out, "keymesh_sync_keys_per_sec", Long.toString(Math.round(sp.keysPerSecond(nanos))));
        line(out, "keymesh_sync_eta_seconds", Long.toString(sp.etaSeconds(nanos)));
        line(out, "slave_read_repl_offset", Long.toString(st.offset()));
        line(out, "slave_repl_offset", Long.toString(st.offset()));
        line(out, "slave_priority", "100");
        line(out, "slave_read_only", replica.settings().writePolicy().configName().equals("readonly") ? "1" : "0");
        line(out, "replica_announced", "1");
        line(out, "keymesh_upstream", up.map(Object::toString).orElse(""));
        line(out, "keymesh_upstream_id", st.upstreamId());
        line(out, "keymesh_write_policy", replica.settings().writePolicy().configName());
        line(out, "keymesh_serve_stale_data", replica.settings().serveStaleData() ? "yes" : "no");
        line(out, "upstream_lag_ms", Long.toString(st.lagMillis(now)));
        line(out, "upstream_lag_ops", Long.toString(st.lagOps()));
        line(out, "upstream_switches", Long.toString(st.switches()));
        line(out, "upstream_partial_resyncs", Long.toString(st.partialResyncs()));
        line(out, "upstream_full_resyncs", Long.toString(st.snapshotResyncs()));
        line(out, "upstream_waiting", st.waiting());
        line(out, "upstream_last_error", st.lastError().replace("\r", " ").replace("\n", " "));
        List<UpstreamTracker.UpstreamHealth> health = replica.health();
        for (int i = 0; i < health.size(); i++) {
            UpstreamTracker.UpstreamHealth h = health.get(i);
            line(out, "upstream" + i, "addr=" + h.upstream() + ",health=" + h.state() + ",last_check="
                    + h.lastCheck().replace(',', ';').replace("\r", " ").replace("\n", " "));
        }
        return out.toString();
    }

    /**
     * Lines replacing the backend's {@code connected_slaves:0}: then, as Redis, {@code min_slaves_good_slaves}
     * while the write quorum is on, and one {@code slaveN:} line per replica.
     */
    static String connectedSlaves(NodeContext node) {
        if (node.replica() != null) {
            return "connected_slaves:0";
        }
        List<ServeStatus> replicas = node.mesh() == null ? List.of() : node.mesh().replicas();
        return primaryLines(replicas, node.config().writeQuorum(), node.clock().time().wallMillis());
    }

    /** A primary's lines for {@code replicas} at wall time {@code nowMillis} (joined with CRLF, no trailing CRLF). */
    static String primaryLines(List<ServeStatus> replicas, WriteQuorum quorum, long nowMillis) {
        StringBuilder out = new StringBuilder("connected_slaves:").append(replicas.size());
        if (quorum.enabled()) {
            line(out, "min_slaves_good_slaves", Integer.toString(quorum.goodReplicas(replicas, nowMillis)));
        }
        for (int i = 0; i < replicas.size(); i++) {
            ServeStatus r = replicas.get(i);
            long lagSeconds = Math.max(0, (nowMillis - r.lastAckMillis()) / 1000);     // replicas ack every second
            out.append("\r\n").append(slaveLine(i, r.address(), r.state().equals("streaming"), r.ackedSeq(), lagSeconds));
        }
        return out.toString();
    }

    /** Redis' {@code slaveN:ip=...,port=...,state=online|wait_bgsave,offset=...,lag=<seconds>} line. */
    static String slaveLine(int index, String address, boolean online, long offset, long lagSeconds) {
        String[] hp = hostPort(address);
        return "slave" + index + ":ip=" + hp[0] + ",port=" + hp[1] + ",state=" + (online ? "online" : "wait_bgsave")
                + ",offset=" + offset + ",lag=" + lagSeconds;
    }

    /** Splits "host:port" at its last colon (IPv6 hosts keep theirs); no colon: port "0". */
    static String[] hostPort(String address) {
        int colon = address.lastIndexOf(':');
        if (colon < 0) {
            return new String[] {address, "0"};
        }
        return new String[] {address.substring(0, colon), address.substring(colon + 1)};
    }

    private static void line(StringBuilder out, String field, String value) {
        out.append("\r\n").append(field).append(':').append(value);
    }
}
