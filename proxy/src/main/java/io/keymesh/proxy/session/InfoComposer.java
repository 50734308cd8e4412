package io.keymesh.proxy.session;

import io.keymesh.proxy.server.NodeContext;
import io.keymesh.storage.backend.MemoryUse;
import io.keymesh.topology.tls.NodeTls;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import io.keymesh.topology.node.MeshReport;
import java.util.Set;

/**
 * Builds keymesh's INFO from the backend's: the backend's sections, with the fields that describe
 * the proxy (client port, clients, connections) replaced by keymesh's own, plus a "# Keymesh"
 * section. When the backend is down, a minimal INFO that says {@code loading:1}, because the node
 * truly cannot serve then.
 */
public final class InfoComposer {
    private static final Set<String> WITH_KEYMESH = Set.of("default", "all", "everything", "keymesh");
    private final NodeContext node;

    public InfoComposer(NodeContext node) {
        this.node = node;
    }

    /** True when the requested sections (lower case; empty for default) include keymesh's own. */
    public static boolean includesKeymesh(String[] sections) {
        if (sections.length == 0) {
            return true;
        }
        for (String s : sections) {
            if (WITH_KEYMESH.contains(s.toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    /** Rewrites the backend's INFO text. */
    public String compose(String backendInfo, boolean withKeymesh, int clientPort) {
        StringBuilder out = new StringBuilder(backendInfo.length() + 512);
        if (!backendInfo.isBlank()) {
            String[] lines = backendInfo.split("\r\n");
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i];
                if (line.equals(LATENCYSTATS)) {
                    i = latencystats(lines, i, out);
                } else if (!hiddenDatabase(line)) {
                    out.append(rewrite(line, clientPort)).append("\r\n");
                }
            }
        }
        if (withKeymesh) {
            if (out.length() > 0) {
                out.append("\r\n");
            }
            keymeshSection(out, clientPort, "up");      // the backend answered this INFO
        }
        trimTrailingBlank(out);
        return out.toString();
    }

    /** INFO while the backend cannot serve. */
    public String whileDown(boolean withKeymesh, int clientPort) {
        return withoutBackend(withKeymesh, clientPort, "down");
    }

    /**
     * INFO while the backend answers -BUSY (a script or function runs past busy-reply-threshold):
     * keymesh's own lines, among them the links' {@code waiting=} fields that say why they wait, in
     * place of the error Redis gives for INFO then; {@code backend_status:busy}, {@code loading:0}.
     */
    public String whileBusy(boolean withKeymesh, int clientPort) {
        return withoutBackend(withKeymesh, clientPort, "busy");
    }

    private String withoutBackend(boolean withKeymesh, int clientPort, String backendStatus) {
        StringBuilder out = new StringBuilder(512);
        out.append("# Server\r\nredis_version:").append(node.backend().version()).append("\r\n")
                .append("redis_mode:standalone\r\ntcp_port:").append(clientPort).append("\r\n\r\n")
                .append("# Clients\r\nconnected_clients:").append(node.sessions().size()).append("\r\n\r\n")
                .append("# Persistence\r\nloading:").append(backendStatus.equals("down") ? 1 : 0).append("\r\n\r\n")
                .append("# Replication\r\n").append(ReplicationLines.role(node)).append("\r\n")
                .append(ReplicationLines.connectedSlaves(node)).append(meshLines()).append("\r\n");
        if (withKeymesh) {
            out.append("\r\n");
            keymeshSection(out, clientPort, backendStatus);     // says down or busy, as the rest of this reply does
        }
        trimTrailingBlank(out);
        return out.toString();
    }

    private static final String LATENCYSTATS = "# Latencystats";

    /**
     * Replaces the backend's "# Latencystats" section (starting at {@code lines[header]}) with
     * keymesh's, in the percentiles the backend's lines use (its latency-tracking-info-percentiles):
     * latency as clients see it through keymesh, not the backend's execution time. Returns the index
     * of the section's last line.
     */
    private int latencystats(String[] lines, int header, StringBuilder out) {
        int end = header + 1;
        StringBuilder backendSection = new StringBuilder();
        while (end < lines.length && !lines[end].isEmpty() && !lines[end].startsWith("#")) {
            backendSection.append(lines[end++]).append("\r\n");
        }
        out.append(LATENCYSTATS).append("\r\n").append(io.keymesh.proxy.metrics.LatencyReport.infoLines(
                node.sessions().latency().byCommand(),
                io.keymesh.proxy.metrics.LatencyReport.percentilesOf(backendSection.toString())));
        return end - 1;
    }

    /** A keyspace line ("db17:keys=...") of a database clients cannot use (metadata and log with replication on). */
    private boolean hiddenDatabase(String line) {
        if (!line.startsWith("db")) {
            return false;
        }
        int colon = line.indexOf(':');
        if (colon <= 2) {
            return false;
        }
        try {
            return Integer.parseInt(line.substring(2, colon)) >= node.backend().databases();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private String rewrite(String line, int clientPort) {
        int colon = line.indexOf(':');
        if (colon < 0 || line.startsWith("#")) {
            return line;
        }
        String field = line.substring(0, colon);
        return switch (field) {
            case "tcp_port" -> field + ":" + clientPort;
            case "connected_clients" -> field + ":" + node.sessions().size();
            case "total_connections_received" -> field + ":" + node.sessions().totalConnections();
            case "rejected_connections" -> field + ":" + node.sessions().rejectedConnections().get();
            case "executable", "config_file" -> field + ":";
            case "role" -> ReplicationLines.role(node);
            case "connected_slaves" -> ReplicationLines.connectedSlaves(node) + meshLines();
            case "maxmemory" -> field + ":" + node.backend().memory().limitBytes();
            case "maxmemory_human" -> field + ":" + humanBytes(node.backend().memory().limitBytes());
            case "maxmemory_policy" -> line + memoryLines();
            default -> line;
        };
    }

    /**
     * INFO memory lines (each preceded by CRLF) after maxmemory_policy: how keymesh.maxmemory sees the
     * backend's memory, user data against the limit and keymesh's own share (MemoryGuard's estimates).
     */
    private String memoryLines() {
        MemoryUse m = node.backend().memory();
        return "\r\nkeymesh_maxmemory:" + m.limitBytes()
                + "\r\nkeymesh_used_memory_user:" + m.userBytes()
                + "\r\nkeymesh_used_memory_metadata:" + m.metadataBytes()
                + "\r\nkeymesh_used_memory_log:" + m.logBytes()
                + "\r\nkeymesh_oom:" + (m.over() ? 1 : 0);
    }

    /** Bytes as Redis' INFO writes them in *_human fields: 512B, 1.50K, 2.00M, 3.25G. */
    static String humanBytes(long bytes) {
        String[] units = {"K", "M", "G", "T", "P"};
        if (bytes < 1024) {
            return bytes + "B";
        }
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.2f%s", value, units[unit]);
    }

    /** INFO replication lines for the mesh (each preceded by CRLF), empty for a standalone node. */
    private String meshLines() {
        if (node.mesh() == null) {
            return "";
        }
        long now = node.clock().time().wallMillis();
        StringBuilder out = new StringBuilder(512);
        for (Map.Entry<String, String> e : MeshReport.summary(node.mesh(), now).entrySet()) {
            out.append("\r\n").append(e.getKey()).append(':').append(e.getValue());
        }
        int i = 0;
        for (Map<String, String> peer : MeshReport.peers(node.mesh(), now)) {
            out.append("\r\npeer").append(i++).append(':');
            boolean first = true;
            for (Map.Entry<String, String> e : peer.entrySet()) {
                out.append(first ? "" : ",").append(e.getKey()).append('=').append(e.getValue().replace(',', ';'));
                first = false;
            }
        }
        return out.toString();
    }

    /** The "# Keymesh" section; {@code backendStatus} (up, down, busy) is what the rest of the same reply says of the backend. */
    private void keymeshSection(StringBuilder out, int clientPort, String backendStatus) {
        long uptimeSeconds = (node.clock().time().wallMillis() - node.startedMillis()) / 1000;
        out.append("# Keymesh\r\n")
                .append("keymesh_version:").append(version()).append("\r\n")
                .append("node_role:").append(node.config().role()).append("\r\n")
                .append("node_id:").append(node.nodeId()).append("\r\n")
                .append("replication_enabled:").append(node.replicating() ? "yes" : "no").append("\r\n")
                .append("client_port:").append(clientPort).append("\r\n")
                .append("io_threads:").append(node.ioThreads()).append("\r\n")
                .append("uptime_in_seconds:").append(uptimeSeconds).append("\r\n")
                .append("connected_clients:").append(node.sessions().size()).append("\r\n")
                .append("backend_mode:").append(node.config().storage().mode()).append("\r\n")
                .append("backend_endpoint:").append(node.connector().endpoint()).append("\r\n")
                .append("backend_status:").append(backendStatus).append("\r\n")
                .append("backend_version:").append(node.backend().version()).append("\r\n")
                .append("backend_restarts:").append(node.backend().restarts()).append("\r\n");
        NodeTls tls = node.tls() == null ? null : node.tls().nodeTls();
        out.append("tls_port:").append(tls == null ? 0 : tls.settings().port()).append("\r\n")
                .append("tls_replication:").append(tls != null && tls.settings().replication() ? "yes" : "no").append("\r\n")
                .append("tls_clients_refused:").append(tls == null ? 0 : tls.incoming().count()).append("\r\n")
                .append("tls_servers_refused:").append(tls == null ? 0 : tls.outgoing().count()).append("\r\n")
                .append("tls_certificate_reloads:").append(tls == null ? 0 : tls.reloads()).append("\r\n");
    }

    private static void trimTrailingBlank(StringBuilder out) {
        while (out.length() >= 2 && out.charAt(out.length() - 1) == '\n' && out.charAt(out.length() - 2) == '\r') {
            out.setLength(out.length() - 2);
        }
        if (out.length() > 0) {
            out.append("\r\n");
        }
    }

    static String version() {
        String v = InfoComposer.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }

    /** The text inside a bulk ($) or verbatim (=) reply frame. */
    static String textOf(io.netty.buffer.ByteBuf frame) {
        int start = frame.readerIndex();
        byte type = frame.getByte(start);
        int lf = frame.indexOf(start, frame.writerIndex(), (byte) '\n');
        if ((type != '$' && type != '=') || lf < 0) {
            throw new IllegalStateException("backend INFO reply is not a bulk string");
        }
        int bodyStart = lf + 1 + (type == '=' ? 4 : 0);
        int bodyEnd = frame.writerIndex() - 2;
        return frame.toString(bodyStart, Math.max(0, bodyEnd - bodyStart), StandardCharsets.UTF_8);
    }
}
