package io.keymesh.storage.backend;

import io.lettuce.core.RedisURI;

import java.time.Duration;

/** Builds the Lettuce URI of a backend endpoint with its credentials, for control-path connections. */
public final class LettuceUris {
    private LettuceUris() {
    }

    /** A URI for {@code endpoint}, authenticating as {@code username} (or the default user) when a password is set. */
    public static RedisURI of(BackendEndpoint endpoint, String username, String password, Duration timeout,
                              String clientName) {
        RedisURI.Builder builder;
        if (endpoint instanceof BackendEndpoint.UnixSocket unix) {
            builder = RedisURI.Builder.socket(unix.path().toString());
        } else if (endpoint instanceof BackendEndpoint.Tcp tcp) {
            builder = RedisURI.Builder.redis(tcp.host(), tcp.port());
        } else {
            throw new IllegalArgumentException("unknown endpoint " + endpoint);
        }
        if (password != null && !password.isEmpty()) {
            if (username != null && !username.isEmpty()) {
                builder.withAuthentication(username, password.toCharArray());
            } else {
                builder.withPassword(password.toCharArray());
            }
        }
        return builder.withTimeout(timeout).withClientName(clientName).build();
    }
}
