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
    void aLinkConnectedNowHoldsWhatAgeAndBytesWouldTrimUpToTheHardCap() {
        long retention = 60;    // age or bytes would trim up to 60
        long reading = 35;      // a connected peer acknowledged 35 so far
        long held = RetentionPolicy.held(retention, reading);
        assertEquals(35, RetentionPolicy.trimTo(10, 100, 20, held, 9), "kept from 36 on for the reading peer");
        assertEquals(50, RetentionPolicy.trimTo(10, 100, 20, held, 50), "past the hard cap it goes all the same");
        assertEquals(60, RetentionPolicy.trimTo(10, 100, 20, RetentionPolicy.held(retention, Long.MAX_VALUE), 9),
                "no link connected: age and bytes trim as configured");
    }

    @Test
    void bytesFloorDropsTheOldestShareOverBudget() {
        assertEquals(9, RetentionPolicy.bytesFloor(10, 100, 1000, 2000));
        assertEquals(59, RetentionPolicy.bytesFloor(10, 100, 2000, 1000), "half the entries go");
    }
}
