package io.keymesh.proxy.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.keymesh.topology.tls.TlsSettings;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Protected mode, as in Redis: a node that listens beyond loopback and links to other nodes (a
 * primary with peers, a replica with upstreams) must authenticate its links, with
 * {@code keymesh.cluster-secret} or with verified TLS client certificates on its links
 * ({@code keymesh.tls.auth-clients = yes} and {@code keymesh.tls.replication = true}), or it refuses to
 * start; {@code keymesh.protected-mode = false} lifts the check.
 */
final class ProtectedMode {
    private ProtectedMode() {
    }

    /** Throws, naming keymesh.cluster-secret, when the node would serve unauthenticated links beyond loopback. */
    static void check(Config keymesh, String bind, String linkedTo, String clusterSecret, TlsSettings tls) {
        if (!keymesh.getBoolean("protected-mode") || linkedTo.isEmpty() || !clusterSecret.isEmpty()
                || (tls.replication() && tls.authClients() == TlsSettings.AuthClients.YES) || loopback(bind)) {
            return;
        }
        throw new ConfigException.BadValue("keymesh.cluster-secret", "protected mode: this node listens on " + bind
                + " (beyond loopback) and links to " + linkedTo + ", but its links are not authenticated. Set "
                + "keymesh.cluster-secret to the same long random string on every node (e.g. the output of "
                + "\"openssl rand -hex 32\"), or verify TLS client certificates on links (keymesh.tls.auth-clients = yes "
                + "and keymesh.tls.replication = true), or set keymesh.protected-mode = false to accept unauthenticated links");
    }

    /** True when {@code bind} names a loopback address only (a name that does not resolve counts as beyond). */
    private static boolean loopback(String bind) {
        try {
            return InetAddress.getByName(bind).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
