package io.keymesh.proxy.server;

import io.keymesh.proxy.command.CommandTable;
import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.proxy.route.BackendStatus;
import io.keymesh.proxy.session.SessionRegistry;
import io.keymesh.storage.conn.BackendConnector;

/** What every client pipeline of a node shares: config, command table, sessions, backend. */
public record NodeContext(
        KeymeshConfig config,
        CommandTable commands,
        SessionRegistry sessions,
        BackendStatus backend,
        BackendConnector connector,
        long startedMillis,
        int ioThreads) {
}
