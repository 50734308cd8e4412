package io.keymesh.topology.tls;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A node's TLS configuration (keys {@code keymesh.tls.*}, named like Redis' tls-* directives).
 *
 * @param port        the TLS client port; 0 for none
 * @param certFile    this node's certificate chain (PEM), served on the TLS port and presented by its links
 * @param keyFile     the private key of {@code certFile} (PEM, PKCS#8 or PKCS#1 RSA, unencrypted)
 * @param caCertFile  the CA certificates (PEM) client and peer certificates must chain to
 * @param authClients whether TLS clients must present a certificate signed by the CA
 * @param protocols   enabled protocol versions ("TLSv1.2", "TLSv1.3"); empty for the JVM's defaults
 * @param ciphers     enabled cipher suites by IANA name; empty for the JVM's defaults
 * @param replication links to peers and upstreams and health checks use TLS
 */
public record TlsSettings(int port, Path certFile, Path keyFile, Path caCertFile, AuthClients authClients,
                          List<String> protocols, List<String> ciphers, boolean replication) {

    /** Redis' tls-auth-clients: yes (a verified certificate is required), optional (verified if given), no. */
    public enum AuthClients {
        YES, OPTIONAL, NO
    }

    /** No TLS anywhere. */
    public static final TlsSettings OFF = new TlsSettings(0, null, null, null, AuthClients.NO, List.of(), List.of(), false);

    public TlsSettings {
        protocols = List.copyOf(protocols);
        ciphers = List.copyOf(ciphers);
    }

    /** True when the node needs its certificate: a TLS port or TLS links. */
    public boolean enabled() {
        return port > 0 || replication;
    }

    /**
     * Reads {@code keymesh.tls} from the {@code keymesh} section of a node's configuration.
     *
     * @throws ConfigException.BadValue naming the key when a value is invalid or a needed file is not set
     */
    public static TlsSettings from(Config keymesh) {
        Config t = keymesh.getConfig("tls");
        int port = t.getInt("port");
        if (port < 0 || port > 65535) {
            throw new ConfigException.BadValue("keymesh.tls.port", "must be in 0..65535 (0: no TLS port), got " + port);
        }
        String auth = t.getString("auth-clients").toLowerCase(Locale.ROOT);
        AuthClients authClients = switch (auth) {
            case "yes", "true" -> AuthClients.YES;
            case "no", "false" -> AuthClients.NO;
            case "optional" -> AuthClients.OPTIONAL;
            default -> throw new ConfigException.BadValue("keymesh.tls.auth-clients",
                    "must be yes, no or optional, got " + auth);
        };
        boolean replication = t.getBoolean("replication");
        TlsSettings s = new TlsSettings(port, path(t, "cert-file"), path(t, "key-file"), path(t, "ca-cert-file"),
                authClients, words(t.getString("protocols")), words(t.getString("ciphers")), replication);
        if (!s.enabled()) {
            return s;
        }
        String why = port > 0 ? "keymesh.tls.port is set" : "keymesh.tls.replication is on";
        if (s.certFile == null || s.keyFile == null) {
            throw new ConfigException.BadValue("keymesh.tls.cert-file",
                    "keymesh.tls.cert-file and keymesh.tls.key-file must be set when " + why);
        }
        if (s.caCertFile == null && (replication || (port > 0 && authClients != AuthClients.NO))) {
            throw new ConfigException.BadValue("keymesh.tls.ca-cert-file", "must be set when "
                    + (replication ? "keymesh.tls.replication is on (peers are verified against it)"
                    : "keymesh.tls.auth-clients is " + auth + " (client certificates are verified against it)"));
        }
        return s;
    }

    private static Path path(Config t, String key) {
        String value = t.getString(key).trim();
        return value.isEmpty() ? null : Path.of(value).toAbsolutePath().normalize();
    }

    /** Splits a Redis-style list: names separated by spaces, commas or colons. */
    private static List<String> words(String value) {
        return Arrays.stream(value.trim().split("[\\s,:]+")).filter(w -> !w.isEmpty()).toList();
    }
}
