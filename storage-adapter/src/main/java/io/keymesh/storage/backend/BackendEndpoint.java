package io.keymesh.storage.backend;

import java.nio.file.Path;
import java.util.Objects;

/** Where a backend Redis server listens: a unix domain socket or a TCP host and port. */
public sealed interface BackendEndpoint permits BackendEndpoint.UnixSocket, BackendEndpoint.Tcp {

    /** A redis-server listening on a unix domain socket at {@code path}. */
    record UnixSocket(Path path) implements BackendEndpoint {
        /** Keeps the path absolute so log lines and error messages are unambiguous. */
        public UnixSocket {
            Objects.requireNonNull(path, "path");
            path = path.toAbsolutePath().normalize();
        }

        @Override
        public String toString() {
            return path.toString();
        }
    }

    /** A redis-server listening on TCP at {@code host}:{@code port}. */
    record Tcp(String host, int port) implements BackendEndpoint {
        /** Rejects a blank host and ports outside 1..65535. */
        public Tcp {
            Objects.requireNonNull(host, "host");
            if (host.isBlank()) {
                throw new IllegalArgumentException("backend host must not be blank");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("backend port must be 1..65535, got " + port);
            }
        }

        @Override
        public String toString() {
            return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
        }
    }

    /** A unix socket endpoint. */
    static BackendEndpoint unixSocket(Path path) {
        return new UnixSocket(path);
    }

    /** A TCP endpoint. */
    static BackendEndpoint tcp(String host, int port) {
        return new Tcp(host, port);
    }
}
