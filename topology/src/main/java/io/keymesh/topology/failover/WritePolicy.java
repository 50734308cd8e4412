package io.keymesh.topology.failover;

import java.util.Locale;

/** What a replica does with a client's write ({@code keymesh.replica.write-policy}). */
public enum WritePolicy {
    /** Refuse it with Redis' {@code -READONLY You can't write against a read only replica.} */
    READONLY,
    /** Forward it to the current primary and answer the primary's reply. */
    FORWARD,
    /** Apply it here only, never replicated; upstream writes and deletes of the key override it. */
    LOCAL;

    /** The policy named {@code name} as written in config ("readonly", "forward", "local"). */
    public static WritePolicy parse(String name) {
        for (WritePolicy p : values()) {
            if (p.configName().equals(name.trim().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("write-policy must be readonly, forward or local, got \"" + name + "\"");
    }

    /** The name used in config. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
