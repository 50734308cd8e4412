package io.keymesh.topology.failover;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Objects;

/**
 * Key patterns ({@code keymesh.region-local-keys}, Redis glob syntax as in KEYS) whose writes stay on
 * the node that received them and are never replicated, on any node role.
 *
 * @param patterns the glob patterns, possibly none
 */
public record RegionLocalKeys(List<String> patterns) {

    /** Copies the list; no pattern may be empty. */
    public RegionLocalKeys {
        Objects.requireNonNull(patterns, "patterns");
        if (patterns.stream().anyMatch(p -> p == null || p.isEmpty())) {
            throw new IllegalArgumentException("keymesh.region-local-keys has an empty pattern");
        }
        patterns = List.copyOf(patterns);
    }

    /** Reads {@code region-local-keys} from the {@code keymesh} section of a node's configuration. */
    public static RegionLocalKeys from(Config keymesh) {
        return new RegionLocalKeys(keymesh.getStringList("region-local-keys"));
    }
}
