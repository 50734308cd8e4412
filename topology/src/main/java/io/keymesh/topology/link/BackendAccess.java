package io.keymesh.topology.link;

import io.keymesh.storage.backend.BackendEndpoint;

import java.io.IOException;

/** How link code reaches the node's own redis-server: endpoint and credentials. */
public record BackendAccess(BackendEndpoint endpoint, String username, String password, int connectTimeoutMillis) {
    /** A new blocking connection with {@code db} selected; a busy backend is waited out (logged as "keymesh backend call"). */
    public BackendClient open(int db) throws IOException {
        return open(db, new BusyWait("keymesh backend call"));
    }

    /** A new blocking connection with {@code db} selected, whose calls wait out a busy backend with {@code busy}. */
    public BackendClient open(int db, BusyWait busy) throws IOException {
        return BackendClient.open(endpoint, username, password, db, connectTimeoutMillis, busy);
    }
}
