package io.keymesh.topology.tls;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** keymesh.tls.* read over the project's conf/reference.conf, as a node reads it. */
class TlsSettingsTest {
    private static final Path REFERENCE = Path.of("..", "conf", "reference.conf");

    private static TlsSettings read(String nodeConfig) {
        Config reference = ConfigFactory.parseFile(REFERENCE.toFile());
        return TlsSettings.from(ConfigFactory.parseString(nodeConfig).withFallback(reference).resolve().getConfig("keymesh"));
    }

    @Test
    void offByDefaultWithRedisDefaults() {
        TlsSettings s = read("");
        assertFalse(s.enabled());
        assertEquals(TlsSettings.AuthClients.YES, s.authClients());
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), s.protocols());
        assertEquals(List.of(), s.ciphers());
    }

    @Test
    void readsEveryKey() {
        TlsSettings s = read("""
                keymesh.tls { port = 6443, cert-file = "n.crt", key-file = "n.key", ca-cert-file = "ca.crt"
                  auth-clients = optional, protocols = "TLSv1.3", replication = true
                  ciphers = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256" }
                """);
        assertTrue(s.enabled());
        assertEquals(6443, s.port());
        assertEquals(Path.of("n.crt").toAbsolutePath(), s.certFile());
        assertEquals(TlsSettings.AuthClients.OPTIONAL, s.authClients());
        assertEquals(List.of("TLSv1.3"), s.protocols());
        assertEquals(List.of("TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"), s.ciphers());
        assertTrue(s.replication());
    }

    @Test
    void badOrMissingValuesNameTheirKey() {
        assertMessage("keymesh.tls.cert-file", "keymesh.tls.port = 6443");
        assertMessage("keymesh.tls.ca-cert-file", "keymesh.tls { port = 6443, cert-file = a, key-file = b }");
        assertMessage("keymesh.tls.ca-cert-file", "keymesh.tls { replication = true, cert-file = a, key-file = b, "
                + "auth-clients = no }");
        assertMessage("keymesh.tls.auth-clients", "keymesh.tls.auth-clients = maybe");
        assertMessage("keymesh.tls.port", "keymesh.tls.port = 70000");
        read("keymesh.tls { port = 6443, cert-file = a, key-file = b, auth-clients = no }");   // no CA needed
    }

    private static void assertMessage(String key, String config) {
        ConfigException e = assertThrows(ConfigException.class, () -> read(config));
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }
}
