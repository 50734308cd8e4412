package io.keymesh.topology.failover;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.keymesh.topology.health.HealthCheckSettings;
import io.keymesh.topology.health.UpstreamAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A replica's configuration (keys {@code keymesh.upstreams}, {@code keymesh.replica.*},
 * {@code keymesh.health-check.*}): which primaries it may follow, in order, how it checks them, and
 * what it does with client writes.
 *
 * @param upstreams primaries' keymesh client addresses in priority order, at least one
 * @param preferFirst return to an earlier upstream as soon as it is up again
 * @param writePolicy what client writes do on this replica
 * @param forwardWaitTimeout {@code forward} policy: longest wait for the forwarded write to arrive
 *     back on this replica before the client gets an error
 * @param serveStaleData answer reads while no upstream is linked (Redis' replica-serve-stale-data)
 * @param health how upstreams are checked
 */
public record ReplicaSettings(
        List<UpstreamAddress> upstreams,
        boolean preferFirst,
        WritePolicy writePolicy,
        Duration forwardWaitTimeout,
        boolean serveStaleData,
        HealthCheckSettings health) {

    /** Validates and copies the upstream list. */
    public ReplicaSettings {
        Objects.requireNonNull(upstreams, "upstreams");
        if (upstreams.isEmpty()) {
            throw new IllegalArgumentException("a replica needs at least one upstream in keymesh.upstreams");
        }
        if (upstreams.stream().distinct().count() != upstreams.size()) {
            throw new IllegalArgumentException("keymesh.upstreams lists an address twice: " + upstreams);
        }
        upstreams = List.copyOf(upstreams);
        Objects.requireNonNull(writePolicy, "writePolicy");
        Objects.requireNonNull(forwardWaitTimeout, "forwardWaitTimeout");
        if (forwardWaitTimeout.isNegative() || forwardWaitTimeout.isZero()) {
            throw new IllegalArgumentException("keymesh.replica.forward-wait-timeout must be > 0");
        }
        Objects.requireNonNull(health, "health");
    }

    /**
     * Reads a replica's settings from the {@code keymesh} section of a node's configuration
     * (reference.conf supplies the defaults; {@code upstreams} must be set).
     *
     * @throws ConfigException.BadValue naming the key when a value is invalid
     */
    public static ReplicaSettings from(Config keymesh) {
        List<UpstreamAddress> upstreams = new ArrayList<>();
        for (String s : keymesh.getStringList("upstreams")) {
            try {
                upstreams.add(UpstreamAddress.parse(s));
            } catch (IllegalArgumentException e) {
                throw new ConfigException.BadValue(keymesh.origin(), "keymesh.upstreams", e.getMessage());
            }
        }
        Config r = keymesh.getConfig("replica");
        WritePolicy policy;
        try {
            policy = WritePolicy.parse(r.getString("write-policy"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(r.origin(), "keymesh.replica.write-policy", e.getMessage());
        }
        try {
            return new ReplicaSettings(upstreams, r.getBoolean("prefer-first"), policy,
                    r.getDuration("forward-wait-timeout"), r.getBoolean("serve-stale-data"),
                    HealthCheckSettings.from(keymesh));
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(keymesh.origin(), "keymesh.upstreams", e.getMessage());
        }
    }
}
