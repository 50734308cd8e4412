package io.keymesh.proxy.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.keymesh.proxy.resp.RespLimits;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node's configuration, read once from HOCON (conf/reference.conf documents every key) with
 * -D system properties taking precedence. Field names match the keys.
 */
public record KeymeshConfig(
        int port,
        String bind,
        Path dataDir,
        int ioThreads,
        String role,
        String requirepass,
        Map<String, String> users,
        RespLimits respLimits,
        OutputLimit normalOutputLimit,
        OutputLimit pubsubOutputLimit,
        Storage storage,
        Mesh mesh) {

    /**
     * Replication between primaries: peers' client ports, the shared secret, the address peers are
     * told, the clock offset a peer may run ahead, and log/tombstone retention. On when peers are set.
     */
    public record Mesh(List<String> peers, String clusterSecret, String advertise, long maxClockOffsetMillis,
                       long logRetentionMillis, long logRetentionBytes, long tombstoneMaxAgeMillis) {
        public boolean enabled() {
            return !peers.isEmpty();
        }
    }

    /** Redis' client-output-buffer-limit for one client class; 0 disables a bound. */
    public record OutputLimit(long hardBytes, long softBytes, long softSeconds) {
    }

    /** Where the node's data lives: its managed redis-server or an external one. */
    public record Storage(String mode, String binary, String address, String username, String password,
                          int databases, boolean appendOnly, String appendFsync, long maxMemoryBytes,
                          String maxMemoryPolicy, Duration startTimeout, Duration connectTimeout) {
        public boolean managed() {
            return "managed".equals(mode);
        }
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
        if (!role.equals("primary")) {
            throw new ConfigException.BadValue("keymesh.role", "only \"primary\" is supported, got " + role);
        }
        int databases = s.getInt("databases");
        if (databases < 1 || databases > 1_000_000) {
            throw new ConfigException.BadValue("keymesh.storage.redis.databases", "must be >= 1, got " + databases);
        }
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
                new Storage(mode, s.getString("binary"), s.getString("address"), s.getString("username"),
                        s.getString("password"), databases, s.getBoolean("appendonly"), s.getString("appendfsync"),
                        s.getBytes("maxmemory"), s.getString("maxmemory-policy"), s.getDuration("start-timeout"),
                        s.getDuration("connect-timeout")),
                mesh(c, port));
    }

    private static Mesh mesh(Config c, int port) {
        Config r = c.getConfig("replication");
        String advertise = c.getString("advertise");
        if (advertise.isEmpty()) {
            advertise = c.getString("bind") + ":" + port;
        }
        for (String peer : c.getStringList("peers")) {
            int colon = peer.lastIndexOf(':');
            if (colon <= 0 || !peer.substring(colon + 1).matches("[0-9]{1,5}")) {
                throw new ConfigException.BadValue("keymesh.peers", "each peer must be host:port, got " + peer);
            }
        }
        return new Mesh(List.copyOf(c.getStringList("peers")), c.getString("cluster-secret"), advertise,
                c.getDuration("max-clock-offset").toMillis(), r.getDuration("log-retention-age").toMillis(),
                r.getBytes("log-retention-bytes"), r.getDuration("tombstone-max-age").toMillis());
    }

    private static Map<String, String> users(Config c) {
        Map<String, String> users = new LinkedHashMap<>();
        List<? extends Config> list = c.getConfigList("users");
        for (Config user : list) {
            String name = user.getString("name");
            if (name.isEmpty() || users.put(name, user.getString("password")) != null) {
                throw new ConfigException.BadValue("keymesh.users", "user names must be non-empty and unique: " + name);
            }
        }
        return Map.copyOf(users);
    }

    private static OutputLimit outputLimit(Config c) {
        return new OutputLimit(c.getBytes("hard"), c.getBytes("soft"), c.getLong("soft-seconds"));
    }

    /** True when clients must AUTH before other commands. */
    public boolean authRequired() {
        return !requirepass.isEmpty() || !users.isEmpty();
    }
}
