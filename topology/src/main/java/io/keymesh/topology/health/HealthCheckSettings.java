package io.keymesh.topology.health;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;
import java.util.Objects;

/**
 * How a replica checks its upstream primaries (keys {@code keymesh.health-check.*}), with HAProxy's
 * meanings.
 *
 * @param inter time between the starts of two checks of one upstream
 * @param timeout how long one check may take (connect, PING and ROLE replies) before it counts as failed
 * @param fall consecutive failed checks that mark an up upstream down
 * @param rise consecutive passed checks that mark a down upstream up
 */
public record HealthCheckSettings(Duration inter, Duration timeout, int fall, int rise) {

    /** Defaults as in reference.conf: a check every second, one-second timeout, fall 3, rise 2. */
    public static final HealthCheckSettings DEFAULTS =
            new HealthCheckSettings(Duration.ofSeconds(1), Duration.ofSeconds(1), 3, 2);

    /** Validates: positive durations, fall and rise at least 1. */
    public HealthCheckSettings {
        Objects.requireNonNull(inter, "inter");
        Objects.requireNonNull(timeout, "timeout");
        if (inter.isNegative() || inter.isZero()) {
            throw new IllegalArgumentException("health-check inter must be > 0, got " + inter);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("health-check timeout must be > 0, got " + timeout);
        }
        if (fall < 1) {
            throw new IllegalArgumentException("health-check fall must be >= 1, got " + fall);
        }
        if (rise < 1) {
            throw new IllegalArgumentException("health-check rise must be >= 1, got " + rise);
        }
    }

    /**
     * Reads {@code health-check { inter, timeout, fall, rise }} from the {@code keymesh} section of a
     * node's configuration (reference.conf supplies every key).
     *
     * @throws ConfigException.BadValue naming the key when a value is out of range
     */
    public static HealthCheckSettings from(Config keymesh) {
        Config c = keymesh.getConfig("health-check");
        try {
            return new HealthCheckSettings(c.getDuration("inter"), c.getDuration("timeout"), c.getInt("fall"),
                    c.getInt("rise"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(c.origin(), "keymesh.health-check", e.getMessage());
        }
    }
}
