package io.keymesh.storage.backend;

import java.util.Objects;

/**
 * A backend endpoint plus optional credentials, safe to log: {@link #toString()} never prints the password.
 *
 * @param endpoint where the server listens
 * @param username ACL user name, or null for the default user
 * @param password password, or null when the server needs none
 */
public record BackendAddress(BackendEndpoint endpoint, String username, String password) {

    /** Normalises empty credentials to null (none). */
    public BackendAddress {
        Objects.requireNonNull(endpoint, "endpoint");
        username = username == null || username.isEmpty() ? null : username;
        password = password == null || password.isEmpty() ? null : password;
    }

    /** An address without credentials. */
    public static BackendAddress of(BackendEndpoint endpoint) {
        return new BackendAddress(endpoint, null, null);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("BackendAddress[").append(endpoint);
        if (username != null) {
            sb.append(", user=").append(username);
        }
        sb.append(", password=").append(password == null ? "none" : "***").append(']');
        return sb.toString();
    }
}
