package io.keymesh.topology.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.topology.wire.LinkFrame;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class SnapshotProgressTest {
    private static final long SECOND = 1_000_000_000L;

    /** A key frame of 10 payload bytes: a 4-byte name and 6 bytes of items. */
    private static LinkFrame.SnapshotKey key() {
        return new LinkFrame.SnapshotKey(0, "k:01".getBytes(StandardCharsets.UTF_8),
                List.of("abc".getBytes(StandardCharsets.UTF_8), "def".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void ratesAndEtaFollowTheKeysMergedAgainstTheAnnouncedTotal() {
        SnapshotProgress p = new SnapshotProgress(io.keymesh.topology.clock.TimeSource.system());
        p.start(1000, 0);
        for (int i = 0; i < 250; i++) {
            p.merged(key());
        }
        assertTrue(p.running());
        assertEquals(250, p.keys());
        assertEquals(2500, p.bytes());
        assertEquals(1000, p.totalKeys());
        assertEquals(10_000, p.totalBytes(), "10 bytes a key so far, 1000 keys");
        assertEquals(50.0, p.keysPerSecond(5 * SECOND), 1e-9);
        assertEquals(500.0, p.bytesPerSecond(5 * SECOND), 1e-9);
        assertEquals(15, p.etaSeconds(5 * SECOND), "750 keys left at 50 keys/s");
        assertEquals("250/1000 keys, 2500/10000 bytes, 50 keys/s, eta 15 s", p.describe(5 * SECOND));
    }

    @Test
    void anUnknownTotalGivesAnUnknownEtaAndKeysBeyondTheEstimateRaiseIt() {
        SnapshotProgress p = new SnapshotProgress(io.keymesh.topology.clock.TimeSource.system());
        p.start(-1, 0);
        p.merged(key());
        assertEquals(-1, p.totalKeys());
        assertEquals(-1, p.totalBytes());
        assertEquals(-1, p.etaSeconds(SECOND));
        assertEquals("1/? keys, 10/? bytes, 1 keys/s, eta ?", p.describe(SECOND));

        p.start(1, 0);                      // keys written during the snapshot exceed the sender's count
        p.merged(key());
        p.merged(key());
        assertEquals(2, p.totalKeys());
        assertEquals(0, p.etaSeconds(SECOND));
    }

    @Test
    void anEndedSnapshotKeepsItsCountsAndNeedsNoMoreTime() {
        SnapshotProgress p = new SnapshotProgress(io.keymesh.topology.clock.TimeSource.system());
        p.start(2, System.nanoTime());
        p.merged(key());
        p.merged(key());
        p.end();
        assertFalse(p.running());
        assertEquals(2, p.keys());
        assertEquals(0, p.etaSeconds(System.nanoTime() + 60 * SECOND));
    }

    @Test
    void progressIsLoggedEveryFiveSeconds() {
        SnapshotProgress p = new SnapshotProgress(io.keymesh.topology.clock.TimeSource.system());
        p.start(10, 0);
        assertFalse(p.logDue(SECOND));
        assertTrue(p.logDue(5 * SECOND));
        assertFalse(p.logDue(9 * SECOND));
        assertTrue(p.logDue(10 * SECOND));
    }
}
