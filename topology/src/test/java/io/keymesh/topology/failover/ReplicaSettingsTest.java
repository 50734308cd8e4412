package io.keymesh.topology.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.keymesh.topology.health.HealthCheckSettings;
import io.keymesh.topology.health.UpstreamAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reads the project's conf/reference.conf with a node config on top, as the node does. */
class ReplicaSettingsTest {
    private static final Path REFERENCE = Path.of("..", "conf", "reference.conf");

    private static Config keymesh(String nodeConfig) {
        Config reference = ConfigFactory.parseFile(REFERENCE.toFile());
        return ConfigFactory.parseString(nodeConfig).withFallback(reference).resolve().getConfig("keymesh");
    }

    @Test
    void defaultsAreHaproxysAndReadonly() {
        ReplicaSettings s = ReplicaSettings.from(keymesh("keymesh.upstreams = [\"127.0.0.1:6401\", \"127.0.0.1:6402\"]"));
        assertEquals(List.of(UpstreamAddress.parse("127.0.0.1:6401"), UpstreamAddress.parse("127.0.0.1:6402")),
                s.upstreams());
        assertEquals(WritePolicy.READONLY, s.writePolicy());
        assertFalse(s.preferFirst());
        assertTrue(s.serveStaleData());
        assertEquals(HealthCheckSettings.DEFAULTS, s.health());
        assertEquals(List.of(), RegionLocalKeys.from(keymesh("")).patterns());
    }

    @Test
    void overridesAreRead() {
        ReplicaSettings s = ReplicaSettings.from(keymesh("""
                keymesh {
                  upstreams = ["primary2:6402"]
                  replica { write-policy = forward, prefer-first = true, forward-wait-timeout = 2s }
                  health-check { inter = 200ms, timeout = 100ms, fall = 5, rise = 1 }
                  region-local-keys = ["session:*"]
                }
                """));
        assertEquals(WritePolicy.FORWARD, s.writePolicy());
        assertTrue(s.preferFirst());
        assertEquals(Duration.ofSeconds(2), s.forwardWaitTimeout());
        assertEquals(new HealthCheckSettings(Duration.ofMillis(200), Duration.ofMillis(100), 5, 1), s.health());
        assertEquals(List.of("session:*"),
                RegionLocalKeys.from(keymesh("keymesh.region-local-keys = [\"session:*\"]")).patterns());
    }

    @Test
    void upstreamsCanBeGivenByIndexAsTheContainerDemoDoes() {
        java.util.Properties props = new java.util.Properties();
        props.setProperty("keymesh.upstreams.0", "primary1:6401");
        props.setProperty("keymesh.upstreams.1", "primary2:6402");
        Config reference = ConfigFactory.parseFile(REFERENCE.toFile());
        Config c = ConfigFactory.parseProperties(props).withFallback(reference).resolve().getConfig("keymesh");
        assertEquals(List.of(new UpstreamAddress("primary1", 6401), new UpstreamAddress("primary2", 6402)),
                ReplicaSettings.from(c).upstreams());
    }

    @Test
    void badValuesNameTheirKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> ReplicaSettings.from(keymesh("")));
        assertTrue(e.getMessage().contains("keymesh.upstreams"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ReplicaSettings.from(
                keymesh("keymesh { upstreams = [\"p:1\"], replica.write-policy = readwrite }")));
        assertTrue(e.getMessage().contains("keymesh.replica.write-policy"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ReplicaSettings.from(
                keymesh("keymesh { upstreams = [\"p:1\"], health-check.fall = 0 }")));
        assertTrue(e.getMessage().contains("keymesh.health-check"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ReplicaSettings.from(keymesh("keymesh.upstreams = [\"p\"]")));
        assertTrue(e.getMessage().contains("keymesh.upstreams"), e.getMessage());
    }
}
