package io.keymesh.proxy.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.keymesh.proxy.resp.RespLimits;
import io.keymesh.storage.backend.BackendMemory;
import io.keymesh.topology.failover.RegionLocalKeys;
import io.keymesh.topology.failover.ReplicaSettings;
import io.keymesh.topology.failover.WriteQuorum;
import io.keymesh.topology.link.LinkSettings;
import io.keymesh.topology.tls.TlsSettings;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A node's configuration, read once from HOCON (conf/reference.conf documents every key) with
 * -D system properties taking precedence. Field names match the keys. {@code replica} is null
 * unless {@code keymesh.role = replica}; {@code writeQuorum} (min-replicas-to-write) applies on a primary;
 * {@code maxmemoryBytes} is keymesh.maxmemory, the limit of user data (0: none).
 * {@code port} 0 turns the plain client port off when {@code tls.port} is set; without a TLS port it
 * binds a free port chosen by the system (tests use this).
 */
public record KeymeshConfig(
        int port,
        String bind,
        Path dataDir,
        int ioThreads,
        String role,
        String requirepass,
        Map<String, User> users,
        RespLimits respLimits,
        OutputLimit normalOutputLimit,
        OutputLimit pubsubOutputLimit,
        OutputLimit replicaOutputLimit,
        Storage storage,
        long maxmemoryBytes,
        Cluster cluster,
        ReplicaSettings replica,
        RegionLocalKeys regionLocalKeys,
        WriteQuorum writeQuorum,
        String logFormat,
        Http http,
        TlsSettings tls) {

    /**
     * A named user of {@code keymesh.users}: its password (empty: none) and its ACL rules in Redis'
     * ACL SETUSER syntax (empty: every command, key and channel).
     */
    public record User(String password, String rules) {
    }

    /** The HTTP endpoint (/metrics): {@code port} 0 means none. */
    public record Http(int port, String bind) {
        /** True when the node serves HTTP. */
        public boolean enabled() {
            return port > 0;
        }
    }

    /** Redis' client-output-buffer-limit for one client class; 0 disables a bound. */
    public record OutputLimit(long hardBytes, long softBytes, long softSeconds) {
    }

    /** Where the node's data lives: its managed redis-server or an external one. */
    public record Storage(String mode, String binary, String address, String username, String password,
                          int databases, boolean appendOnly, String appendFsync, Duration startTimeout,
                          Duration connectTimeout) {
        public boolean managed() {
            return "managed".equals(mode);
        }
    }

    /**
     * This node's place in a cluster: identity, peers, link security and replication settings.
     *
     * @param nodeId         configured node id, or empty to use (or create) the one in the data directory
     * @param advertise      "host:port" peers and replicas use to reach this node
     * @param peers          the other primaries' client ports, "host:port"
     * @param clusterSecret  secret every node proves on its links (never sent); empty for none
     * @param maxClockOffset how far ahead of local wall time a peer's timestamps may run
     */
    public record Cluster(String nodeId, String advertise, List<String> peers, String clusterSecret,
                          Duration maxClockOffset, Replication replication) {
        /** True when links have no secret to prove (logged as a warning at start). */
        public boolean openLinks() {
            return clusterSecret.isEmpty();
        }
    }

    /**
     * Replication settings.
     *
     * @param enabled           "auto" (on when peers are configured), "true" or "false"
     * @param logRetentionAge   how long log entries are kept for peers that are away
     * @param logRetentionBytes how large the log may grow before old entries go
     * @param tombstoneMaxAge   age after which tombstones go even if a peer has not seen them
     * @param linkReconnectMin  the shortest wait of a peer link before it connects again after a failure
     */
    public record Replication(String enabled, Duration logRetentionAge, long logRetentionBytes,
                              Duration tombstoneMaxAge, Duration linkReconnectMin) {
    }

    /** Loads {@code file} (may be null) over the reference defaults, under -D overrides. */
    public static KeymeshConfig load(File file) {
        Config base = file == null ? ConfigFactory.empty()
                : ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false));
        ConfigFactory.invalidateCaches();
        return from(ConfigFactory.load(base));
    }

    /** Reads a resolved config that includes the reference defaults. */
    public static KeymeshConfig from(Config root) {
        Config c = root.getConfig("keymesh");
        Config limits = c.getConfig("limits");
        Config s = c.getConfig("storage.redis");
        String mode = s.getString("mode");
        if (!mode.equals("managed") && !mode.equals("external")) {
            throw new ConfigException.BadValue("keymesh.storage.redis.mode", "must be managed or external, got " + mode);
        }
        int port = c.getInt("port");
        if (port < 0 || port > 65535) {
            throw new ConfigException.BadValue("keymesh.port", "must be in 0..65535, got " + port);
        }
        String role = c.getString("role");
        if (!role.equals("primary") && !role.equals("replica")) {
            throw new ConfigException.BadValue("keymesh.role", "must be \"primary\" or \"replica\", got " + role);
        }
        TlsSettings tls = TlsSettings.from(c);
        ReplicaSettings replica = null;
        if (role.equals("replica")) {
            replica = ReplicaSettings.from(c);
            if (!c.getStringList("peers").isEmpty()) {
                throw new ConfigException.BadValue("keymesh.peers", "a replica has no peers; list its primaries in "
                        + "keymesh.upstreams");
            }
        }
        int databases = s.getInt("databases");
        if (databases < 1 || databases > 1_000_000) {
            throw new ConfigException.BadValue("keymesh.storage.redis.databases", "must be >= 1, got " + databases);
        }
        List<String> peers = c.getStringList("peers");
        ProtectedMode.check(c, c.getString("bind"), replica != null ? "upstreams " + replica.upstreams()
                : peers.isEmpty() ? "" : "peers " + peers, c.getString("cluster-secret"), tls);
        RespLimits respLimits = new RespLimits(
                limits.getBytes("proto-max-bulk-len"),
                limits.getInt("max-multibulk-len"),
                (int) (long) limits.getBytes("max-inline-len"),
                RespLimits.REDIS_DEFAULTS.unauthenticatedArgumentCountMax(),
                RespLimits.REDIS_DEFAULTS.unauthenticatedBulkLengthMax());
        return new KeymeshConfig(
                port,
                c.getString("bind"),
                Path.of(c.getString("data-dir")).toAbsolutePath().normalize(),
                c.getInt("io-threads"),
                role,
                c.getString("requirepass"),
                users(c),
                respLimits,
                outputLimit(limits.getConfig("client-output-buffer-limit.normal")),
                outputLimit(limits.getConfig("client-output-buffer-limit.pubsub")),
                outputLimit(limits.getConfig("client-output-buffer-limit.replica")),
                new Storage(mode, s.getString("binary"), s.getString("address"), s.getString("username"),
                        s.getString("password"), databases, s.getBoolean("appendonly"), s.getString("appendfsync"),
                        s.getDuration("start-timeout"), s.getDuration("connect-timeout")),
                maxmemory(c, s),
                cluster(c, advertisedPort(port, tls)),
                replica,
                RegionLocalKeys.from(c),
                WriteQuorum.from(c),
                logFormat(c),
                http(c),
                tls);
    }

    /** The client port other nodes reach: the TLS port with TLS links or without a plain port, else the plain one. */
    private static int advertisedPort(int port, TlsSettings tls) {
        return tls.port() > 0 && (tls.replication() || port == 0) ? tls.port() : port;
    }

    /** True when the plain client port is listened on: port set, or 0 (a free one) with no TLS port. */
    public boolean plainPort() {
        return port > 0 || tls.port() == 0;
    }

    /**
     * keymesh.maxmemory (bytes of user data, 0 for no limit). The redis-server's own maxmemory and
     * maxmemory-policy are keymesh's ({@link BackendMemory}): storage.redis keys that would change them
     * are refused.
     */
    private static long maxmemory(Config c, Config storage) {
        if (storage.hasPath("maxmemory-policy") && !BackendMemory.safePolicy(storage.getString("maxmemory-policy"))) {
            throw new ConfigException.BadValue("keymesh.storage.redis.maxmemory-policy", "is \""
                    + storage.getString("maxmemory-policy") + "\"; keymesh's redis-server runs with "
                    + BackendMemory.NO_EVICTION + " only: " + BackendMemory.WHY_NO_EVICTION);
        }
        if (storage.hasPath("maxmemory") && storage.getBytes("maxmemory") != 0) {
            throw new ConfigException.BadValue("keymesh.storage.redis.maxmemory", "is " + storage.getString("maxmemory")
                    + "; keymesh's redis-server runs with maxmemory 0: " + BackendMemory.WHY_NO_SERVER_LIMIT);
        }
        long bytes = c.getBytes("maxmemory");
        if (bytes < 0) {
            throw new ConfigException.BadValue("keymesh.maxmemory", "must be >= 0 (0: no limit), got " + bytes);
        }
        return bytes;
    }

    private static Cluster cluster(Config c, int port) {
        String nodeId = c.getString("node-id");
        if (!nodeId.isEmpty() && !NodeId.isValid(nodeId)) {
            throw new ConfigException.BadValue("keymesh.node-id", "must be 8 lower-case hex characters (or empty), got " + nodeId);
        }
        String advertise = c.getString("advertise");
        if (advertise.isEmpty()) {
            advertise = c.getString("bind") + ":" + port;
        } else {
            requireHostPort("keymesh.advertise", advertise);
        }
        List<String> peers = List.copyOf(c.getStringList("peers"));
        for (String peer : peers) {
            requireHostPort("keymesh.peers", peer);
        }
        Duration offset = c.getDuration("max-clock-offset");
        if (offset.isNegative()) {
            throw new ConfigException.BadValue("keymesh.max-clock-offset", "must be >= 0, got " + offset);
        }
        Config r = c.getConfig("replication");
        String enabled = r.getString("enabled").toLowerCase(Locale.ROOT);
        if (!enabled.equals("auto") && !enabled.equals("true") && !enabled.equals("false")) {
            throw new ConfigException.BadValue("keymesh.replication.enabled", "must be auto, true or false, got " + enabled);
        }
        Duration reconnectMin = r.getDuration("link-reconnect-min");
        long reconnectMax = LinkSettings.defaults().reconnectMaxMillis();
        if (reconnectMin.toMillis() < 1 || reconnectMin.toMillis() > reconnectMax) {
            throw new ConfigException.BadValue("keymesh.replication.link-reconnect-min",
                    "must be 1ms .. " + reconnectMax + "ms, got " + reconnectMin);
        }
        return new Cluster(nodeId, advertise, peers, c.getString("cluster-secret"), offset,
                new Replication(enabled, r.getDuration("log-retention-age"), r.getBytes("log-retention-bytes"),
                        r.getDuration("tombstone-max-age"), reconnectMin));
    }

    private static void requireHostPort(String key, String value) {
        int colon = value.lastIndexOf(':');
        boolean ok = colon > 0 && colon < value.length() - 1;
        if (ok) {
            try {
                int p = Integer.parseInt(value.substring(colon + 1));
                ok = p > 0 && p <= 65535;
            } catch (NumberFormatException e) {
                ok = false;
            }
        }
        if (!ok) {
            throw new ConfigException.BadValue(key, "must be \"host:port\", got \"" + value + "\"");
        }
    }

    private static Map<String, User> users(Config c) {
        Map<String, User> users = new LinkedHashMap<>();
        List<? extends Config> list = c.getConfigList("users");
        for (Config user : list) {
            String name = user.getString("name");
            String password = user.hasPath("password") ? user.getString("password") : "";
            String rules = !user.hasPath("rules") ? ""
                    : user.getValue("rules").valueType() != com.typesafe.config.ConfigValueType.STRING
                    ? String.join(" ", user.getStringList("rules")) : user.getString("rules");
            if (name.isEmpty() || name.contains(" ") || users.put(name, new User(password, rules)) != null) {
                throw new ConfigException.BadValue("keymesh.users", "user names must be non-empty, without spaces, "
                        + "and unique: '" + name + "'");
            }
        }
        if (users.containsKey("default") && !c.getString("requirepass").isEmpty()) {
            throw new ConfigException.BadValue("keymesh.users", "the user 'default' is defined twice: by "
                    + "keymesh.requirepass and by keymesh.users; keep one");
        }
        return Map.copyOf(users);
    }

    private static String logFormat(Config c) {
        String format = c.getString("log.format");
        if (!format.equals("text") && !format.equals("json")) {
            throw new ConfigException.BadValue("keymesh.log.format", "must be \"text\" or \"json\", got " + format);
        }
        return format;
    }

    private static OutputLimit outputLimit(Config c) {
        return new OutputLimit(c.getBytes("hard"), c.getBytes("soft"), c.getLong("soft-seconds"));
    }

    /** True when writes go through the replication functions: forced by replication.enabled, else when peers are configured. */
    private static Http http(Config c) {
        int port = c.getInt("http.port");
        if (port < 0 || port > 65535) {
            throw new ConfigException.BadValue("keymesh.http.port", "must be in 0..65535 (0: no HTTP endpoint), got " + port);
        }
        return new Http(port, c.getString("http.bind"));
    }

    public boolean replicationEnabled() {
        if (isReplica()) {
            return true;
        }
        return switch (cluster.replication().enabled()) {
            case "true" -> true;
            case "false" -> false;
            default -> !cluster.peers().isEmpty();
        };
    }

    /** Databases the backend must have: the user databases, plus metadata and log with replication on. */
    public int backendDatabases() {
        int n = storage.databases();
        return replicationEnabled() ? 2 * n + 1 : n;
    }

    /** True for {@code keymesh.role = replica}. */
    public boolean isReplica() {
        return replica != null;
    }

    /** True when clients must AUTH before other commands. */
    public boolean authRequired() {
        return !requirepass.isEmpty() || !users.isEmpty();
    }
}
