package io.keymesh.proxy.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Protected mode decides from the configuration alone: beyond loopback, with peers or upstreams, links
 * must be authenticated by the cluster secret or by TLS client certificates, unless it is switched off.
 */
class ProtectedModeTest {

    private static KeymeshConfig load(Map<String, Object> settings) {
        return KeymeshConfig.from(ConfigFactory.parseMap(settings).withFallback(ConfigFactory.defaultReference()).resolve());
    }

    private static Map<String, Object> primary(String bind) {
        Map<String, Object> s = new HashMap<>();
        s.put("keymesh.bind", bind);
        s.put("keymesh.peers", List.of("10.0.0.2:6380"));
        return s;
    }

    private static Map<String, Object> replica(String bind) {
        Map<String, Object> s = new HashMap<>();
        s.put("keymesh.bind", bind);
        s.put("keymesh.role", "replica");
        s.put("keymesh.upstreams", List.of("10.0.0.2:6380"));
        return s;
    }

    @Test
    void aNodeBeyondLoopbackWithPeersOrUpstreamsAndNoLinkAuthenticationRefusesNamingTheSecret() {
        for (Map<String, Object> s : List.of(primary("0.0.0.0"), primary("::"), replica("0.0.0.0"))) {
            ConfigException e = assertThrows(ConfigException.class, () -> load(s), s.toString());
            assertTrue(e.getMessage().contains("keymesh.cluster-secret") && e.getMessage().contains("protected mode")
                    && e.getMessage().contains("keymesh.protected-mode = false"), e.getMessage());
        }
    }

    @Test
    void aSecretTlsClientAuthenticationLoopbackNoLinksOrProtectedModeOffLetItStart() {
        Map<String, Object> secret = primary("0.0.0.0");
        secret.put("keymesh.cluster-secret", "a long random secret");
        Map<String, Object> tls = replica("0.0.0.0");
        tls.put("keymesh.tls.auth-clients", "yes");
        tls.put("keymesh.tls.replication", true);
        withCertificates(tls);
        Map<String, Object> off = primary("0.0.0.0");
        off.put("keymesh.protected-mode", false);
        Map<String, Object> alone = new HashMap<>(Map.of("keymesh.bind", "0.0.0.0"));
        for (Map<String, Object> s : List.of(secret, tls, off, alone, primary("127.0.0.1"), primary("localhost"),
                replica("::1"))) {
            assertDoesNotThrow(() -> load(s), s.toString());
        }
    }

    @Test
    void tlsWithoutClientCertificatesOnLinksIsNotLinkAuthentication() {
        for (String authClients : new String[] {"no", "optional"}) {
            Map<String, Object> s = withCertificates(primary("0.0.0.0"));
            s.put("keymesh.tls.auth-clients", authClients);
            s.put("keymesh.tls.replication", true);
            assertRefusedForSecret(s, authClients);
        }
        Map<String, Object> s = withCertificates(primary("0.0.0.0"));
        s.put("keymesh.tls.port", 6390);
        s.put("keymesh.tls.auth-clients", "yes");
        s.put("keymesh.tls.replication", false);
        assertRefusedForSecret(s, "client certificates on the client port only");
    }

    private static void assertRefusedForSecret(Map<String, Object> settings, String what) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(settings), what);
        assertTrue(e.getMessage().contains("protected mode") && e.getMessage().contains("keymesh.cluster-secret"),
                what + ": " + e.getMessage());
    }

    /** Names certificate files: reading the config opens none of them. */
    private static Map<String, Object> withCertificates(Map<String, Object> settings) {
        settings.put("keymesh.tls.cert-file", "node.crt");
        settings.put("keymesh.tls.key-file", "node.key");
        settings.put("keymesh.tls.ca-cert-file", "ca.crt");
        return settings;
    }
}
