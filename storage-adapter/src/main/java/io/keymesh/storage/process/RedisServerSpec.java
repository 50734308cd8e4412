package io.keymesh.storage.process;

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
 * @param maxMemoryBytes memory limit in bytes, 0 for none
 * @param maxMemoryPolicy what happens at the limit ("noeviction": evicting would drop replicated data)
 * @param extraConfig more redis.conf directives (name to raw argument text), written last so they win
 */
public record RedisServerSpec(
        Path binary,
        Path dataDir,
        boolean appendOnly,
        String appendFsync,
        int databases,
        long maxMemoryBytes,
        String maxMemoryPolicy,
        Map<String, String> extraConfig) {

    private static final Set<String> FSYNC = Set.of("always", "everysec", "no");

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
        if (maxMemoryBytes < 0) {
            throw new IllegalArgumentException("maxMemoryBytes must be >= 0 (0 = no limit), got " + maxMemoryBytes);
        }
        Objects.requireNonNull(maxMemoryPolicy, "maxMemoryPolicy");
        if (maxMemoryPolicy.isBlank() || maxMemoryPolicy.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("maxMemoryPolicy must be one word, got \"" + maxMemoryPolicy + "\"");
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
                copy.put(name, value);
            });
        }
        extraConfig = Collections.unmodifiableMap(copy);
    }

    /**
     * keymesh's defaults for {@code dataDir}: redis-server from PATH, AOF on with everysec fsync,
     * 16 databases, no memory limit, noeviction, no extra directives.
     */
    public static RedisServerSpec defaults(Path dataDir) {
        return new RedisServerSpec(null, dataDir, true, "everysec", 16, 0, "noeviction", Map.of());
    }

    /** This spec with another redis-server executable (null = resolve from PATH at start). */
    public RedisServerSpec withBinary(Path newBinary) {
        return new RedisServerSpec(newBinary, dataDir, appendOnly, appendFsync, databases, maxMemoryBytes,
                maxMemoryPolicy, extraConfig);
    }

    /** This spec with the AOF switched on or off and the given fsync policy. */
    public RedisServerSpec withAppendOnly(boolean on, String fsync) {
        return new RedisServerSpec(binary, dataDir, on, fsync, databases, maxMemoryBytes, maxMemoryPolicy,
                extraConfig);
    }

    /** This spec with another number of databases. */
    public RedisServerSpec withDatabases(int count) {
        return new RedisServerSpec(binary, dataDir, appendOnly, appendFsync, count, maxMemoryBytes, maxMemoryPolicy,
                extraConfig);
    }

    /** This spec with a memory limit (0 = none) and policy. */
    public RedisServerSpec withMaxMemory(long bytes, String policy) {
        return new RedisServerSpec(binary, dataDir, appendOnly, appendFsync, databases, bytes, policy, extraConfig);
    }

    /** This spec with {@code name value} appended to the extra directives (replacing an earlier one of that name). */
    public RedisServerSpec withExtraConfig(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(extraConfig);
        more.put(name, value);
        return new RedisServerSpec(binary, dataDir, appendOnly, appendFsync, databases, maxMemoryBytes,
                maxMemoryPolicy, more);
    }
}
