package io.keymesh.proxy.write;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.proxy.config.NodeId;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The cluster and replication keys: defaults, the auto rule, validation, and the node id file. */
class WriteConfigTest {

    private static KeymeshConfig load(Map<String, Object> settings) {
        return KeymeshConfig.from(ConfigFactory.parseMap(settings).withFallback(ConfigFactory.defaultReference()).resolve());
    }

    @Test
    void defaultsMatchTheReference() {
        KeymeshConfig c = load(Map.of());
        assertEquals("", c.cluster().nodeId());
        assertEquals("127.0.0.1:6380", c.cluster().advertise());
        assertEquals(List.of(), c.cluster().peers());
        assertTrue(c.cluster().openLinks());
        assertEquals(Duration.ofMillis(500), c.cluster().maxClockOffset());
        assertEquals(Duration.ofHours(1), c.cluster().replication().logRetentionAge());
        assertEquals(512L * 1024 * 1024, c.cluster().replication().logRetentionBytes());
        assertEquals(Duration.ofHours(24), c.cluster().replication().tombstoneMaxAge());
        assertFalse(c.replicationEnabled(), "auto with no peers: off");
        assertEquals(16, c.backendDatabases());
    }

    @Test
    void replicationIsOnWithPeersOrWhenForced() {
        KeymeshConfig peers = load(Map.of("keymesh.peers", List.of("10.0.0.2:6380")));
        assertTrue(peers.replicationEnabled());
        assertEquals(33, peers.backendDatabases());
        assertFalse(load(Map.of("keymesh.peers", List.of("10.0.0.2:6380"), "keymesh.replication.enabled", "false"))
                .replicationEnabled());
        KeymeshConfig forced = load(Map.of("keymesh.replication.enabled", true, "keymesh.storage.redis.databases", 4));
        assertTrue(forced.replicationEnabled());
        assertEquals(9, forced.backendDatabases());
    }

    @Test
    void badValuesAreRefusedByKey() {
        assertTrue(assertThrows(ConfigException.BadValue.class, () -> load(Map.of("keymesh.node-id", "ABCDEF12")))
                .getMessage().contains("keymesh.node-id"));
        assertTrue(assertThrows(ConfigException.BadValue.class, () -> load(Map.of("keymesh.peers", List.of("nohost"))))
                .getMessage().contains("keymesh.peers"));
        assertTrue(assertThrows(ConfigException.BadValue.class, () -> load(Map.of("keymesh.replication.enabled", "maybe")))
                .getMessage().contains("keymesh.replication.enabled"));
        assertTrue(assertThrows(ConfigException.BadValue.class, () -> load(Map.of("keymesh.advertise", "host:0")))
                .getMessage().contains("keymesh.advertise"));
    }

    @Test
    void nodeIdIsGeneratedOnceThenRead() throws Exception {
        Path dir = Files.createTempDirectory("keymesh-nodeid-");
        try {
            NodeId first = NodeId.resolve("", dir);
            assertTrue(NodeId.isValid(first.value()));
            assertEquals(first, NodeId.resolve("", dir));
            assertEquals(new NodeId("0000beef"), NodeId.resolve("0000beef", dir), "a configured id wins");
            Files.writeString(dir.resolve("node-id"), "not-an-id\n");
            assertTrue(assertThrows(IllegalStateException.class, () -> NodeId.resolve("", dir)).getMessage().contains("node-id"));
        } finally {
            Files.deleteIfExists(dir.resolve("node-id"));
            Files.deleteIfExists(dir);
        }
    }
}
