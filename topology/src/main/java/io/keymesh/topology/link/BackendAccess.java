package io.keymesh.topology.link;

import io.keymesh.storage.backend.BackendEndpoint;

import java.io.IOException;

/** How link code reaches the node's own redis-server: endpoint and credentials. */
public record BackendAccess(BackendEndpoint endpoint, String username, String password, int connectTimeoutMillis) {
    /** A new blocking connection with {@code db} selected. */
    public BackendClient open(int db) throws IOException {
        return BackendClient.open(endpoint, username, password, db, connectTimeoutMillis);
    }
}
