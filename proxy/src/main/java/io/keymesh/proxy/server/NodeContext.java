package io.keymesh.proxy.server;

import io.keymesh.proxy.command.CommandTable;
import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.proxy.route.BackendStatus;
import io.keymesh.proxy.session.SessionRegistry;
import io.keymesh.storage.conn.BackendConnector;
import io.keymesh.topology.node.Mesh;

/** What every client pipeline of a node shares: config, command table, sessions, backend, mesh (or null). */
public record NodeContext(
        KeymeshConfig config,
        CommandTable commands,
        SessionRegistry sessions,
        BackendStatus backend,
        BackendConnector connector,
        long startedMillis,
        int ioThreads,
        Mesh mesh) {

    /** True when this node replicates with peers ({@link #mesh()} is not null). */
    public boolean meshEnabled() {
        return mesh != null;
    }
}
