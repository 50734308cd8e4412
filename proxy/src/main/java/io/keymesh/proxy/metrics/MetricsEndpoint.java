package io.keymesh.proxy.metrics;

import io.keymesh.proxy.server.NodeContext;
import io.keymesh.proxy.status.StatusPage;
import io.keymesh.topology.failover.UpstreamTracker;
import io.keymesh.topology.link.PullStatus;
import io.keymesh.topology.link.ReplicaStatus;
import io.keymesh.topology.link.ServeStatus;
import io.keymesh.topology.node.LogStats;
import io.keymesh.topology.node.Mesh;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * The node's HTTP endpoint: {@code GET /metrics} in the Prometheus text format and the live status
 * page at {@code /} ({@link StatusPage}), served by the
 * Prometheus client's JDK HttpServer on a thread of its own (never a client event loop). Every
 * metric but the latency histograms reads the node's existing status objects when scraped.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);
    private static final List<String> LINK_STATES = List.of("connecting", "handshake", "snapshot", "streaming", "down", "refused");
    private static final List<String> HEALTH_STATES = List.of("unchecked", "up", "going_down", "down", "going_up");

    private final HTTPServer server;
    private final ExecutorService executor;

    private MetricsEndpoint(HTTPServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Starts serving {@code node}'s metrics on {@code bind}:{@code port} (0 picks a free port). */
    public static MetricsEndpoint start(NodeContext node, String bind, int port) {
        PrometheusRegistry registry = new PrometheusRegistry();
        register(node, registry);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "keymesh-http");
            t.setDaemon(true);
            return t;
        });
        try {
            HTTPServer server = HTTPServer.builder().hostname(bind).port(port).registry(registry)
                    .defaultHandler(new StatusPage(node)).executorService(executor).buildAndStart();
            log.info("status page on http://{}:{}/ and metrics on /metrics", bind, server.getPort());
            return new MetricsEndpoint(server, executor);
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException("keymesh.http: cannot listen on " + bind + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** The bound port. */
    public int port() {
        return server.getPort();
    }

    static void register(NodeContext node, PrometheusRegistry registry) {
        registry.register(new LatencyCollector(node.sessions().latency()));
        gauge(registry, "keymesh_clients_connected", "Client connections open", cb -> cb.call(node.sessions().size()));
        counter(registry, "keymesh_clients_accepted", "Client connections accepted since start",
                cb -> cb.call(node.sessions().totalConnections()));
        counter(registry, "keymesh_clients_refused", "Client connections refused since start",
                cb -> cb.call(node.sessions().rejectedConnections().get()));
        counter(registry, "keymesh_auth_failures", "AUTH and HELLO AUTH attempts refused with WRONGPASS",
                cb -> cb.call(node.sessions().authFailures().sum()));
        counter(registry, "keymesh_client_read_bytes", "Request bytes read from clients",
                cb -> cb.call(node.sessions().bytesIn().sum()));
        counter(registry, "keymesh_client_written_bytes", "Reply and push bytes written to clients",
                cb -> cb.call(node.sessions().bytesOut().sum()));
        gauge(registry, "keymesh_backend_up", "1 while the backend redis-server serves, else 0",
                cb -> cb.call(node.backend().up() ? 1 : 0));
        counter(registry, "keymesh_backend_restarts", "Times the managed redis-server was restarted",
                cb -> cb.call(node.backend().restarts()));
        if (node.tls() != null) {
            counter(registry, "keymesh_tls_clients_refused", "TLS handshakes refused on the TLS client port",
                    cb -> cb.call(node.tls().nodeTls().incoming().count()));
            counter(registry, "keymesh_tls_servers_refused", "TLS handshakes of links and health checks this node refused",
                    cb -> cb.call(node.tls().nodeTls().outgoing().count()));
            counter(registry, "keymesh_tls_certificate_reloads", "Times changed TLS certificate files were loaded",
                    cb -> cb.call(node.tls().nodeTls().reloads()));
        }
        gauge(registry, "keymesh_memory_max_bytes", "keymesh.maxmemory, the limit of user data (0: none)",
                cb -> cb.call(node.backend().memory().limitBytes()));
        gauge(registry, "keymesh_memory_user_bytes", "User data: the backend's used_memory less keymesh's metadata and log",
                cb -> cb.call(node.backend().memory().userBytes()));
        gauge(registry, "keymesh_memory_metadata_bytes", "keymesh's merge metadata in the backend (estimate)",
                cb -> cb.call(node.backend().memory().metadataBytes()));
        gauge(registry, "keymesh_memory_log_bytes", "keymesh's replication log and node state in the backend (estimate)",
                cb -> cb.call(node.backend().memory().logBytes()));
        gauge(registry, "keymesh_memory_oom", "1 while user data is over keymesh.maxmemory (denyoom commands get -OOM)",
                cb -> cb.call(node.backend().memory().over() ? 1 : 0));
        if (node.mesh() != null) {
            registerMesh(node.mesh(), registry);
        }
        if (node.replica() != null) {
            registerReplica(node, registry);
        }
    }

    private static void registerMesh(Mesh mesh, PrometheusRegistry registry) {
        GaugeWithCallback.builder().name("keymesh_link_state")
                .help("Link this node pulls from a peer: 1 for its current state (connecting, handshake, snapshot, streaming, down, refused)")
                .labelNames("peer", "state")
                .callback(cb -> mesh.pulls().forEach(p -> {
                    for (String s : LINK_STATES) {
                        cb.call(p.state().equals(s) ? 1 : 0, p.address(), s);
                    }
                })).register(registry);
        pulls(mesh, registry, "keymesh_link_up", "1 while the link from the peer streams its log, else 0", false,
                p -> p.state().equals("streaming") ? 1 : 0);
        pulls(mesh, registry, "keymesh_link_lag_seconds",
                "How far this node's copy of the peer's writes is behind (wall time of the newest entry not yet applied)", false,
                p -> p.lagMillis(mesh.time().wallMillis()) / 1000.0);
        pulls(mesh, registry, "keymesh_link_lag_entries", "Entries of the peer's log not yet applied here", false,
                PullStatus::lagOps);
        pulls(mesh, registry, "keymesh_link_received_entries", "Entries received from the peer and applied", true,
                PullStatus::entriesApplied);
        pulls(mesh, registry, "keymesh_link_received_bytes", "Bytes received on the link from the peer", true,
                PullStatus::bytesReceived);
        pulls(mesh, registry, "keymesh_link_partial_resyncs", "Times the link resumed from its position", true,
                PullStatus::partialResyncs);
        pulls(mesh, registry, "keymesh_link_snapshot_resyncs", "Times the link needed a snapshot merge", true,
                PullStatus::snapshotResyncs);
        pulls(mesh, registry, "keymesh_link_snapshot_in_progress", "1 while a snapshot merge from the peer runs", false,
                p -> p.state().equals("snapshot") ? 1 : 0);
        pulls(mesh, registry, "keymesh_link_snapshot_keys_done", "Keys merged by the running (or last) snapshot from the peer", false,
                p -> p.snapshot().keys());
        pulls(mesh, registry, "keymesh_link_snapshot_keys_total",
                "Keys the peer held when the running (or last) snapshot began (-1: unknown)", false, p -> p.snapshot().totalKeys());
        pulls(mesh, registry, "keymesh_link_snapshot_bytes_done", "Key payload bytes merged by the running (or last) snapshot", false,
                p -> p.snapshot().bytes());
        pulls(mesh, registry, "keymesh_link_snapshot_bytes_total",
                "Estimated key payload bytes of the running (or last) snapshot (-1: unknown)", false, p -> p.snapshot().totalBytes());
        pulls(mesh, registry, "keymesh_link_snapshot_keys_per_second", "Keys merged per second by the running (or last) snapshot",
                false, p -> p.snapshot().keysPerSecond(mesh.time().monotonicNanos()));
        pulls(mesh, registry, "keymesh_link_snapshot_eta_seconds",
                "Seconds the running snapshot needs at its rate so far (0: none running, -1: unknown)", false,
                p -> p.snapshot().etaSeconds(mesh.time().monotonicNanos()));
        serves(mesh, registry, "keymesh_link_sent_seq", "Sequence of the last entry of this node's log sent on the link", false,
                ServeStatus::sentSeq);
        serves(mesh, registry, "keymesh_link_acked_seq", "Sequence of the last entry the peer or replica acknowledged", false,
                ServeStatus::ackedSeq);
        serves(mesh, registry, "keymesh_link_unacked_entries", "Entries of this node's log the peer or replica has not acknowledged", false,
                ServeStatus::lagOps);
        serves(mesh, registry, "keymesh_link_sent_bytes", "Bytes sent on the link to the peer or replica", true,
                ServeStatus::bytesSent);
        serves(mesh, registry, "keymesh_link_sent_keys", "Keys sent in snapshot merges to the peer or replica", true,
                ServeStatus::keysSent);
        logs(mesh, registry, "keymesh_log_entries", "Entries kept in an origin's replication log", LogStats::entries);
        logs(mesh, registry, "keymesh_log_bytes", "Memory an origin's replication log takes in the backend", LogStats::bytes);
        logs(mesh, registry, "keymesh_log_first_seq", "Retention horizon: sequence of the oldest entry kept (-1: empty)",
                LogStats::firstSeq);
        logs(mesh, registry, "keymesh_log_head_seq", "Sequence of the newest entry logged", LogStats::headSeq);
        logs(mesh, registry, "keymesh_log_retention_seconds",
                "Retention horizon in time: age of the oldest entry kept (0: empty)",
                l -> l.oldestEntryMillis() == 0 ? 0 : Math.max(0, mesh.time().wallMillis() - l.oldestEntryMillis()) / 1000.0);
    }

    private static void registerReplica(NodeContext node, PrometheusRegistry registry) {
        ReplicaStatus status = node.replica().status();
        GaugeWithCallback.builder().name("keymesh_replica_upstream_health")
                .help("Health check state of each upstream primary: 1 for its current state")
                .labelNames("upstream", "state")
                .callback(cb -> {
                    for (UpstreamTracker.UpstreamHealth h : node.replica().health()) {
                        for (String s : HEALTH_STATES) {
                            cb.call(h.state().equals(s) ? 1 : 0, h.upstream().toString(), s);
                        }
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("keymesh_replica_upstream_followed")
                .help("1 for the upstream primary the replica follows now")
                .labelNames("upstream")
                .callback(cb -> {
                    String current = node.replica().current().map(Object::toString).orElse("");
                    for (UpstreamTracker.UpstreamHealth h : node.replica().health()) {
                        cb.call(h.upstream().toString().equals(current) ? 1 : 0, h.upstream().toString());
                    }
                }).register(registry);
        counter(registry, "keymesh_replica_failovers", "Times the replica switched to another upstream primary",
                cb -> cb.call(status.switches()));
        gauge(registry, "keymesh_replica_link_up", "1 while the replica's link to its upstream streams", cb -> cb.call(status.linkUp() ? 1 : 0));
        gauge(registry, "keymesh_replica_lag_seconds", "How far the replica is behind its upstream",
                cb -> cb.call(status.lagMillis(node.clock().time().wallMillis()) / 1000.0));
        gauge(registry, "keymesh_replica_lag_entries", "Entries the replica has not applied yet", cb -> cb.call(status.lagOps()));
        counter(registry, "keymesh_replica_received_entries", "Entries the replica applied", cb -> cb.call(status.entriesApplied()));
        counter(registry, "keymesh_replica_partial_resyncs", "Times the replica's link resumed from its position",
                cb -> cb.call(status.partialResyncs()));
        counter(registry, "keymesh_replica_snapshot_resyncs", "Times the replica needed a snapshot",
                cb -> cb.call(status.snapshotResyncs()));
        gauge(registry, "keymesh_replica_snapshot_in_progress", "1 while a snapshot from the upstream loads",
                cb -> cb.call(status.snapshot().running() ? 1 : 0));
        gauge(registry, "keymesh_replica_snapshot_keys_done", "Keys loaded by the running (or last) snapshot",
                cb -> cb.call(status.snapshot().keys()));
        gauge(registry, "keymesh_replica_snapshot_keys_total", "Keys the upstream held when the snapshot began (-1: unknown)",
                cb -> cb.call(status.snapshot().totalKeys()));
        gauge(registry, "keymesh_replica_snapshot_bytes_done", "Key payload bytes loaded by the running (or last) snapshot",
                cb -> cb.call(status.snapshot().bytes()));
        gauge(registry, "keymesh_replica_snapshot_bytes_total", "Estimated key payload bytes of the snapshot (-1: unknown)",
                cb -> cb.call(status.snapshot().totalBytes()));
        gauge(registry, "keymesh_replica_snapshot_keys_per_second", "Keys loaded per second by the running (or last) snapshot",
                cb -> cb.call(status.snapshot().keysPerSecond(node.clock().time().monotonicNanos())));
        gauge(registry, "keymesh_replica_snapshot_eta_seconds",
                "Seconds the running snapshot needs at its rate so far (0: none running, -1: unknown)",
                cb -> cb.call(status.snapshot().etaSeconds(node.clock().time().monotonicNanos())));
    }

    private interface Value<T> {
        double of(T status);
    }

    private static void pulls(Mesh mesh, PrometheusRegistry registry, String name, String help, boolean counter,
                              Value<PullStatus> value) {
        if (counter) {
            CounterWithCallback.builder().name(name).help(help).labelNames("peer")
                    .callback(cb -> mesh.pulls().forEach(p -> cb.call(value.of(p), p.address()))).register(registry);
        } else {
            GaugeWithCallback.builder().name(name).help(help).labelNames("peer")
                    .callback(cb -> mesh.pulls().forEach(p -> cb.call(value.of(p), p.address()))).register(registry);
        }
    }

    /** Links this node serves (peers and replicas pulling its log), labelled by peer address, id and role. */
    private static void serves(Mesh mesh, PrometheusRegistry registry, String name, String help, boolean counter,
                               Value<ServeStatus> value) {
        if (counter) {
            CounterWithCallback.builder().name(name).help(help).labelNames("peer", "peer_id", "role")
                    .callback(cb -> served(mesh).forEach(s -> cb.call(value.of(s), s.address(), s.peerId(), s.role())))
                    .register(registry);
        } else {
            GaugeWithCallback.builder().name(name).help(help).labelNames("peer", "peer_id", "role")
                    .callback(cb -> served(mesh).forEach(s -> cb.call(value.of(s), s.address(), s.peerId(), s.role())))
                    .register(registry);
        }
    }

    /** Served links, one per (address, id, role): a link being replaced shows its successor, not both. */
    private static java.util.Collection<ServeStatus> served(Mesh mesh) {
        Map<String, ServeStatus> out = new java.util.LinkedHashMap<>();
        List<ServeStatus> all = new java.util.ArrayList<>(mesh.serves());
        all.addAll(mesh.replicas());
        for (ServeStatus s : all) {
            String key = s.address() + "\n" + s.peerId() + "\n" + s.role();
            ServeStatus seen = out.get(key);
            if (seen == null || seen.state().equals("closed")) {
                out.put(key, s);
            }
        }
        return out.values();
    }

    private static void logs(Mesh mesh, PrometheusRegistry registry, String name, String help, Value<LogStats> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames("origin")
                .callback(cb -> {
                    for (Map.Entry<String, LogStats> e : mesh.logStats().entrySet()) {
                        cb.call(value.of(e.getValue()), e.getKey());
                    }
                }).register(registry);
    }

    private static void gauge(PrometheusRegistry registry, String name, String help,
                              Consumer<GaugeWithCallback.Callback> callback) {
        GaugeWithCallback.builder().name(name).help(help).callback(callback).register(registry);
    }

    private static void counter(PrometheusRegistry registry, String name, String help,
                                Consumer<CounterWithCallback.Callback> callback) {
        CounterWithCallback.builder().name(name).help(help).callback(callback).register(registry);
    }

    @Override
    public void close() {
        server.close();
        executor.shutdownNow();
    }
}
