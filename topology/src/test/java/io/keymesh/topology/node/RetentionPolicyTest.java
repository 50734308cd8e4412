package io.keymesh.topology.node;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RetentionPolicyTest {
    @Test
    void trimsWhatEveryPeerAcknowledged() {
        assertEquals(40, RetentionPolicy.trimTo(10, 100, 40, 9, 9));
    }

    @Test
    void keepsEverythingWhileAPeerIsUnknownAndWithinRetention() {
        assertEquals(9, RetentionPolicy.trimTo(10, 100, -1, 9, 9));
    }

    @Test
    void ageAndBytesTrimEvenWhenAPeerLagsBehind() {
        assertEquals(60, RetentionPolicy.trimTo(10, 100, 20, 60, 30));
        assertEquals(70, RetentionPolicy.trimTo(10, 100, -1, 9, 70));
        assertEquals(99, RetentionPolicy.trimTo(10, 100, 500, 9, 9), "never past the head");
    }

    @Test
    void keepsTheNewestEntryEvenWhenEveryoneAcknowledgedIt() {
        assertEquals(99, RetentionPolicy.trimTo(10, 100, 100, 9, 9));
        assertEquals(99, RetentionPolicy.trimTo(10, 100, 100, 100, 100));
        assertEquals(99, RetentionPolicy.trimTo(100, 100, 100, 99, 99), "a log of its head alone keeps it");
    }

    @Test
    void bytesFloorDropsTheOldestShareOverBudget() {
        assertEquals(9, RetentionPolicy.bytesFloor(10, 100, 1000, 2000));
        assertEquals(59, RetentionPolicy.bytesFloor(10, 100, 2000, 1000), "half the entries go");
    }
}
