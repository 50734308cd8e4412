package io.keymesh.topology.sim;

import io.keymesh.topology.clock.HybridClock;
import io.keymesh.topology.link.BackendClient;
import io.keymesh.topology.link.LinkSettings;

/** What link logic may use of the node it runs on: its id, clock, backend (db 2N selected), settings. */
public interface LinkHost {
    /** This node's 8-hex-digit id. */
    String nodeId();

    /** This node's hybrid logical clock (on simulated, possibly skewed, time). */
    HybridClock clock();

    /** A blocking connection to this node's redis-server with the node-state database (2N) selected. */
    BackendClient backend();

    /** N, the number of user databases. */
    int databases();

    /** Batch bounds, heartbeat and timeouts. */
    LinkSettings settings();

    /** A number that changes whenever a log on this node grows (what XREAD BLOCK would wake a sender for). */
    long logVersion();
}
