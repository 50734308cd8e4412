package io.keymesh.topology.failover;

import io.keymesh.topology.health.UpstreamAddress;
import java.util.Optional;

/** Told when a {@link PrimarySelector} switches the upstream a replica follows. */
@FunctionalInterface
public interface SelectionListener {
    /**
     * The selected upstream changed from {@code from} to {@code to} (either empty when none was or is
     * usable). Called with the selector's lock held, so switches arrive in order: do not block here.
     */
    void onSwitch(Optional<UpstreamAddress> from, Optional<UpstreamAddress> to, String reason);
}
