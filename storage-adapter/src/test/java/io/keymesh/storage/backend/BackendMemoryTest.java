package io.keymesh.storage.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The no-eviction rule as an external server's INFO fields meet it, and how user data is told from keymesh's. */
class BackendMemoryTest {
    private static final String WHERE = "redis-server at 10.0.0.5:6379";

    @Test
    void everyPolicyButNoevictionIsRefusedWithTheFix() {
        for (String policy : List.of("allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu",
                "volatile-random", "volatile-ttl")) {
            BackendCheckException e = assertThrows(BackendCheckException.class,
                    () -> BackendMemory.judge(WHERE, Map.of("maxmemory_policy", policy, "maxmemory", "0")));
            assertEquals(WHERE + " has maxmemory-policy " + policy + "; keymesh needs noeviction: "
                    + BackendMemory.WHY_NO_EVICTION + " (set \"maxmemory-policy noeviction\" in its redis.conf)", e.getMessage());
        }
        assertEquals(List.of(), BackendMemory.judge(WHERE, Map.of("maxmemory_policy", "noeviction", "maxmemory", "0",
                "aof_enabled", "1")));
        assertTrue(BackendMemory.safePolicy(" NoEviction "));
        assertFalse(BackendMemory.safePolicy(null));
    }

    @Test
    void aServerLimitAndAofOffAreAcceptedWithTheirConsequence() {
        List<String> warnings = BackendMemory.judge(WHERE, Map.of("maxmemory_policy", "noeviction",
                "maxmemory", "104857600", "aof_enabled", "0"));
        assertEquals(2, warnings.size());
        assertTrue(warnings.get(0).contains("maxmemory 104857600") && warnings.get(0).contains("peers' replicated writes"),
                warnings.get(0));
        assertTrue(warnings.get(1).contains("without AOF") && warnings.get(1).contains("replication log"), warnings.get(1));
    }

    @Test
    void userDataIsUsedMemoryLessMetadataAndLog() {
        MemoryUse m = new MemoryUse(10_000, 2_000, 3_000, 4_000);
        assertEquals(5_000, m.userBytes());
        assertTrue(m.over());
        assertFalse(new MemoryUse(9_000, 2_000, 3_000, 4_000).over(), "4000 of 4000 is not over");
        assertFalse(new MemoryUse(10_000, 2_000, 3_000, 0).over(), "0 is no limit");
        assertEquals(0, new MemoryUse(1_000, 2_000, 3_000, 1).userBytes());
        assertFalse(MemoryUse.unmeasured(1).over());
    }
}
