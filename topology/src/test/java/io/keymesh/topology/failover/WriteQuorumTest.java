package io.keymesh.topology.failover;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The write quorum's settings and verdicts, with Redis' min-replicas-to-write / min-replicas-max-lag rules. */
class WriteQuorumTest {
    @Test
    void aBareNumberOfLagIsSecondsAsInRedisAndUnitsWorkToo() {
        assertEquals(Duration.ofSeconds(10), read(Map.of("min-replicas-to-write", 1, "min-replicas-max-lag", 10)).lagMax());
        assertEquals(Duration.ofMillis(500), read(Map.of("min-replicas-to-write", 1, "min-replicas-max-lag", "500ms")).lagMax());
        assertEquals(2, read(Map.of("min-replicas-to-write", 2, "min-replicas-max-lag", "10s")).replicasMin());
        assertThrows(RuntimeException.class, () -> read(Map.of("min-replicas-to-write", -1, "min-replicas-max-lag", "10s")));
    }

    @Test
    void offWhenEitherSettingIsZero() {
        assertFalse(new WriteQuorum(0, Duration.ofSeconds(10)).enabled());
        assertFalse(new WriteQuorum(1, Duration.ZERO).enabled());
        assertTrue(new WriteQuorum(0, Duration.ofSeconds(10)).allowsWrites(0));
        assertTrue(new WriteQuorum(1, Duration.ZERO).allowsWrites(0));
    }

    @Test
    void aReplicaIsGoodWhileStreamingAndAcknowledgedWithinTheLag() {
        WriteQuorum q = new WriteQuorum(2, Duration.ofSeconds(10));
        assertTrue(q.isGood("streaming", 1_000, 11_000));
        assertFalse(q.isGood("streaming", 1_000, 11_001));
        assertFalse(q.isGood("snapshot", 1_000, 1_000));
        assertFalse(q.allowsWrites(1));
        assertTrue(q.allowsWrites(2));
        assertEquals("NOREPLICAS Not enough good replicas to write.", WriteQuorum.NOREPLICAS);
    }

    private static WriteQuorum read(Map<String, Object> values) {
        return WriteQuorum.from(ConfigFactory.parseMap(values));
    }
}
