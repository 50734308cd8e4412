package io.keymesh.storage.process;

import io.keymesh.storage.backend.BackendMemory;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How keymesh runs its managed redis-server: binary, data directory and the settings that matter.
 *
 * <p>Anything else goes in {@code extraConfig}.
 *
 * @param binary the redis-server executable, or null to resolve it with
 *     {@link RedisProcess#findRedisServer(String)} when the process starts
 * @param dataDir directory for redis.conf, the AOF, redis.log and (when short enough) the socket
 * @param appendOnly whether the AOF is on; it is keymesh's persistence, so the default is true
 * @param appendFsync "always", "everysec" (default) or "no"
 * @param databases number of logical databases (16)
 * @param extraConfig more redis.conf directives (name to raw argument text), written last so they win;
 *     the memory directives keymesh fixes ({@link #KEYMESH_MEMORY_DIRECTIVES}) are refused
 */
public record RedisServerSpec(
        Path binary,
        Path dataDir,
        boolean appendOnly,
        String appendFsync,
        int databases,
        Map<String, String> extraConfig) {

    private static final Set<String> FSYNC = Set.of("always", "everysec", "no");
    /**
     * Directives keymesh renders itself and extra config may not override: {@code maxmemory 0} and
     * {@code maxmemory-policy noeviction} (see {@link BackendMemory}), and no client eviction, which
     * could close keymesh's own connections.
     */
    public static final Set<String> KEYMESH_MEMORY_DIRECTIVES = Set.of("maxmemory", "maxmemory-policy", "maxmemory-clients");

    /** Validates the settings, makes {@code dataDir} absolute and copies {@code extraConfig} keeping its order. */
    public RedisServerSpec {
        Objects.requireNonNull(dataDir, "dataDir");
        dataDir = dataDir.toAbsolutePath().normalize();
        binary = binary == null ? null : binary.toAbsolutePath().normalize();
        Objects.requireNonNull(appendFsync, "appendFsync");
        if (!FSYNC.contains(appendFsync)) {
            throw new IllegalArgumentException("appendFsync must be always, everysec or no, got " + appendFsync);
        }
        if (databases < 1) {
            throw new IllegalArgumentException("databases must be >= 1, got " + databases);
        }
        Map<String, String> copy = new LinkedHashMap<>();
        if (extraConfig != null) {
            extraConfig.forEach((name, value) -> {
                if (name == null || name.isBlank() || !name.chars().allMatch(c -> c > ' ' && c < 127 && c != '"')) {
                    throw new IllegalArgumentException("extraConfig directive name must be one word: \"" + name + "\"");
                }
                Objects.requireNonNull(value, () -> "extraConfig value for " + name);
                if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
                    throw new IllegalArgumentException("extraConfig value for " + name + " must be one line");
                }
                if (KEYMESH_MEMORY_DIRECTIVES.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                    throw new IllegalArgumentException("extraConfig may not set " + name + ": keymesh's redis-server runs "
                            + "with maxmemory 0 and maxmemory-policy " + BackendMemory.NO_EVICTION + " because "
                            + BackendMemory.WHY_NO_EVICTION);
                }
                copy.put(name, value);
            });
        }
        extraConfig = Collections.unmodifiableMap(copy);
    }

    /**
     * keymesh's defaults for {@code dataDir}: redis-server from PATH, AOF on with everysec fsync,
     * 16 databases, no extra directives.
     */
    public static RedisServerSpec defaults(Path dataDir) {
        return new RedisServerSpec(null, dataDir, true, "everysec", 16, Map.of());
    }

    /** This spec with another redis-server executable (null = resolve from PATH at start). */
    public RedisServerSpec withBinary(Path newBinary) {
        return new RedisServerSpec(newBinary, dataDir, appendOnly, appendFsync, databases, extraConfig);
    }

    /** This spec with the AOF switched on or off and the given fsync policy. */
    public RedisServerSpec withAppendOnly(boolean on, String fsync) {
        return new RedisServerSpec(binary, dataDir, on, fsync, databases, extraConfig);
    }

    /** This spec with another number of databases. */
    public RedisServerSpec withDatabases(int count) {
        return new RedisServerSpec(binary, dataDir, appendOnly, appendFsync, count, extraConfig);
    }

    /** This spec with {@code name value} appended to the extra directives (replacing an earlier one of that name). */
    public RedisServerSpec withExtraConfig(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(extraConfig);
        more.put(name, value);
        return new RedisServerSpec(binary, dataDir, appendOnly, appendFsync, databases, more);
    }
}
