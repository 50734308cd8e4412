package io.keymesh.proxy;

import io.keymesh.proxy.acl.AclUsers;
import io.keymesh.proxy.command.Commands;
import io.keymesh.proxy.metrics.CommandLatency;
import io.keymesh.proxy.metrics.MetricsEndpoint;
import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.proxy.config.NodeId;
import io.keymesh.proxy.replica.ReplicaRole;
import io.keymesh.proxy.route.BackendStatus;
import io.keymesh.proxy.route.MemoryGuard;
import io.keymesh.proxy.route.ReplicationSetup;
import io.keymesh.proxy.server.KeymeshServer;
import io.keymesh.proxy.server.NettyTls;
import io.keymesh.proxy.server.NodeContext;
import io.keymesh.proxy.session.SessionRegistry;
import io.keymesh.storage.backend.BackendCheck;
import io.keymesh.storage.backend.BackendEndpoint;
import io.keymesh.storage.backend.BackendInfo;
import io.keymesh.storage.conn.BackendConnector;
import io.keymesh.storage.process.RedisProcess;
import io.keymesh.storage.process.RedisServerSpec;
import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.HybridClock;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.link.BackendAccess;
import io.keymesh.topology.link.LinkSockets;
import io.keymesh.topology.node.Mesh;
import io.keymesh.topology.tls.NodeTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One running keymesh node, composed in one place: the backend (a supervised redis-server, or an
 * external Redis), its startup check, and the client port. Clients are accepted only once the
 * backend is ready; {@link #close()} stops the port first, then the redis-server.
 */
public final class KeymeshNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KeymeshNode.class);
    /** A cluster secret shorter than this gets a warning at start (its proofs can be attacked offline). */
    private static final int CLUSTER_SECRET_LENGTH_MIN = 16;

    private final KeymeshConfig config;
    private final RedisProcess redis;
    private final KeymeshServer server;
    private final BackendStatus status;
    private final NodeContext context;
    private final MemoryGuard memory;
    private volatile MetricsEndpoint metrics;          // null unless keymesh.http.port is set

    private KeymeshNode(KeymeshConfig config, RedisProcess redis, KeymeshServer server, BackendStatus status,
                        NodeContext context, MemoryGuard memory) {
        this.memory = memory;
        this.config = config;
        this.redis = redis;
        this.server = server;
        this.status = status;
        this.context = context;
    }

    /** Starts the backend, checks it, and opens the client port. */
    public static KeymeshNode start(KeymeshConfig config) throws InterruptedException {
        return start(config, TimeSource.system());
    }

    /** Same, with the time source the node's clock reads (tests run a node with a skewed clock). */
    public static KeymeshNode start(KeymeshConfig config, TimeSource time) throws InterruptedException {
        long started = time.wallMillis();
        KeymeshConfig.Storage storage = config.storage();
        BackendStatus status = new BackendStatus();
        boolean replicating = config.replicationEnabled();
        NodeId nodeId = NodeId.resolve(config.cluster().nodeId(), config.dataDir());
        HybridClock clock = new HybridClock(time, config.cluster().maxClockOffset().toMillis());
        if (replicating && !config.cluster().openLinks()
                && config.cluster().clusterSecret().length() < CLUSTER_SECRET_LENGTH_MIN) {
            log.warn("keymesh.cluster-secret is shorter than {} characters: whoever records a link handshake can try "
                    + "guesses offline; use a long random string (openssl rand -hex 32)", CLUSTER_SECRET_LENGTH_MIN);
        }
        if (replicating && config.cluster().openLinks()) {
            log.warn("keymesh.cluster-secret is empty: links are not authenticated by a shared secret; any client that "
                    + "may run commands here (after AUTH, if requirepass or users are set) can pull this node's data");
        }
        NodeTls tls = config.tls().enabled() ? NodeTls.load(config.tls(), time) : null;
        if (config.tls().replication() && config.tls().port() == 0 && !config.isReplica()) {
            log.warn("keymesh.tls.replication is on but keymesh.tls.port is 0: peers and replicas linking over TLS "
                    + "cannot reach this node; set keymesh.tls.port");
        }
        LinkSockets sockets = tls != null && config.tls().replication() ? LinkSockets.tls(tls) : LinkSockets.plain();
        RedisProcess redis = null;
        MemoryGuard memory = null;
        Mesh mesh = null;
        ReplicaRole replica = null;
        BackendEndpoint endpoint;
        try {
            if (storage.managed()) {
                RedisServerSpec spec = RedisServerSpec.defaults(config.dataDir().resolve("redis"))
                        .withBinary(RedisProcess.findRedisServer(storage.binary()))
                        .withAppendOnly(storage.appendOnly(), storage.appendFsync())
                        .withDatabases(config.backendDatabases());
                redis = new RedisProcess(spec, time);
                redis.start(storage.startTimeout());
                endpoint = new BackendEndpoint.UnixSocket(redis.socketPath());
            } else {
                endpoint = parseAddress(storage.address());
            }
            BackendInfo info = BackendCheck.check(endpoint, storage.username(), storage.password(), storage.startTimeout(), time);
            ReplicationSetup setup = replicating ? new ReplicationSetup(endpoint, storage.username(), storage.password(),
                    storage.startTimeout(), storage.databases()) : null;
            if (setup != null) {
                BackendCheck.requireDatabases(endpoint, info, storage.databases());
                setup.loadLibrary();
                long newest = setup.seedClock(clock);
                if (newest == 0) {
                    log.info("node {}: replication on, no entry logged yet (the clock starts from the wall clock)", nodeId);
                } else {
                    log.info("node {}: replication on, clock seeded past the newest logged stamp {}", nodeId,
                            Hlc.toString(newest));
                }
            }
            status.markUp(info.version(), replicating ? storage.databases() : info.databases());
            log.info("backend redis-server {} at {} is ready", info.version(), endpoint);
            if (redis != null) {
                RedisProcess supervised = redis;
                BackendEndpoint at = endpoint;
                redis.supervise(new RedisProcess.Listener() {
                    @Override
                    public void onDown(String reason) {
                        log.warn("backend redis-server went down ({}); clients get errors until it is back", reason);
                        status.markDown("redis-server restarting: " + reason);
                    }

                    @Override
                    public void onUp() {
                        BackendInfo again;
                        try {
                            again = BackendCheck.check(at, storage.username(), storage.password(), storage.startTimeout(), time);
                            if (setup != null) {
                                setup.loadLibrary();        // before any client write reaches it
                            }
                        } catch (RuntimeException e) {
                            log.error("backend redis-server is back but cannot serve: {}", e.getMessage());
                            status.markDown("redis-server not ready: " + e.getMessage());
                            return;
                        }
                        status.markUp(again.version(), setup != null ? storage.databases() : again.databases());
                        log.info("backend redis-server is back (pid {})", supervised.pid());
                    }
                });
            }
            memory = new MemoryGuard(new BackendAccess(endpoint, storage.username(), storage.password(),
                    (int) storage.connectTimeout().toMillis()), status, config.maxmemoryBytes(), storage.databases(),
                    replicating, storage.managed(), time);
            try {
                memory.start();         // denyoom flags and a first reading before any client command
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the backend's commands and memory: " + e, e);
            }
            int ioThreads = config.ioThreads() > 0 ? config.ioThreads() : Runtime.getRuntime().availableProcessors();
            BackendConnector connector = new BackendConnector(endpoint, storage.username(), storage.password(),
                    (int) storage.connectTimeout().toMillis(), null, time);
            if (replicating) {
                mesh = MeshSetup.create(config, nodeId, clock, endpoint, time, sockets);
            }
            if (config.isReplica()) {
                replica = MeshSetup.replica(config, nodeId, clock, endpoint, time, sockets, mesh.links());
                if (mesh != null) {
                    replica.link().onSecretRefusal(mesh::refusedByPuller);
                }
            }
            AclUsers users = AclUsers.load(config,
                    aclCatalog(endpoint, storage), config.dataDir().resolve(AclUsers.FILE_NAME));
            NodeContext node = new NodeContext(config, Commands.standard(),
                    new SessionRegistry(new CommandLatency(CommandLatency.byRouting(replicating)), time), status, connector,
                    started, ioThreads, nodeId, clock, replicating, mesh, replica, tls == null ? null : new NettyTls(tls),
                    users);
            KeymeshServer server = KeymeshServer.bind(node, config.bind(), config.plainPort() ? config.port() : -1,
                    config.tls().port(), ioThreads);
            if (mesh != null) {
                mesh.start();
            }
            if (replica != null) {
                String advertise = config.cluster().advertise();
                if (advertise.endsWith(":0")) {
                    replica.link().advertise(advertise.substring(0, advertise.length() - 1)
                            + (server.port() > 0 ? server.port() : server.tlsPort()));
                }
                replica.start();
                log.info("replica of {} (write-policy {}, prefer-first {})", config.replica().upstreams(),
                        config.replica().writePolicy().configName(), config.replica().preferFirst());
            }
            log.info("keymesh ready on {}:{}{} ({} io threads, backend {} {}) in {} ms", config.bind(),
                    server.port() > 0 ? server.port() : "(no plain port)",
                    server.tlsPort() > 0 ? ", TLS port " + server.tlsPort() + (config.tls().replication() ? " (TLS links)" : "")
                            : "", ioThreads, storage.mode(), endpoint, time.wallMillis() - started);
            KeymeshNode keymesh = new KeymeshNode(config, redis, server, status, node, memory);
            if (config.http().enabled()) {
                try {
                    keymesh.metrics = MetricsEndpoint.start(node, config.http().bind(), config.http().port());
                } catch (RuntimeException e) {
                    server.close();             // the rest is stopped below
                    throw e;
                }
            }
            return keymesh;
        } catch (RuntimeException | InterruptedException e) {
            if (replica != null) {
                replica.close();
            }
            if (mesh != null) {
                mesh.close();
            }
            if (memory != null) {
                memory.close();
            }
            if (redis != null) {
                redis.stop(Duration.ofSeconds(10));
            }
            throw e;
        }
    }

    /** The ACL view of the command table, with categories and key specs from the backend's COMMAND reply. */
    private static io.keymesh.proxy.acl.AclCatalog aclCatalog(BackendEndpoint endpoint, KeymeshConfig.Storage storage) {
        try (io.keymesh.topology.link.BackendClient conn = io.keymesh.topology.link.BackendClient.open(endpoint,
                storage.username(), storage.password(), 0, (int) storage.connectTimeout().toMillis(),
                new io.keymesh.topology.link.BusyWait("ACL command facts"))) {
            return io.keymesh.proxy.acl.AclCatalog.of(Commands.standard(),
                    io.keymesh.proxy.acl.CommandFacts.parse(conn.ok(java.util.List.of("COMMAND"))));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read the backend's COMMAND reply (ACL categories and key specs): "
                    + e.getMessage(), e);
        }
    }

    /** "host:port", "[v6]:port" or "unix:/path/to/socket". */
    static BackendEndpoint parseAddress(String address) {
        if (address.startsWith("unix:")) {
            return new BackendEndpoint.UnixSocket(Path.of(address.substring(5)));
        }
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("keymesh.storage.redis.address must be host:port or unix:/path, got " + address);
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new BackendEndpoint.Tcp(host, Integer.parseInt(address.substring(colon + 1)));
    }

    /** The HTTP endpoint's bound port, or 0 without one. */
    public int httpPort() {
        MetricsEndpoint m = metrics;
        return m == null ? 0 : m.port();
    }

    /** The bound plain client port, or 0 without one. */
    public int port() {
        return server.port();
    }

    /** The bound TLS client port, or 0 without one. */
    public int tlsPort() {
        return server.tlsPort();
    }

    public KeymeshConfig config() {
        return config;
    }

    /** The managed redis-server, or null for an external backend. */
    public RedisProcess redis() {
        return redis;
    }

    /** The node's mesh (links to and from peers), or null for a standalone node. */
    public Mesh mesh() {
        return context.mesh();
    }

    public BackendStatus backendStatus() {
        return status;
    }

    /** What the node's client pipelines share: identity, clock, config, backend. */
    public NodeContext context() {
        return context;
    }

    @Override
    public void close() {
        log.info("keymesh stopping");
        if (metrics != null) {
            metrics.close();
        }
        if (context.replica() != null) {
            context.replica().close();
        }
        if (context.mesh() != null) {
            context.mesh().close();
        }
        server.close();
        memory.close();
        if (redis != null) {
            redis.stop(Duration.ofSeconds(30));
        }
        log.info("keymesh stopped");
    }
}
