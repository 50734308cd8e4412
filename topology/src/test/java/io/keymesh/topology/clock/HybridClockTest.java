package io.keymesh.topology.clock;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HybridClockTest {
    private static final long EPOCH = 1_790_000_000_000L;    // a wall time in 2026

    @Test
    void timestampsFollowWallTimeWhenItMoves() {
        SimTime time = new SimTime(EPOCH);
        HybridClock clock = new HybridClock(time, 500);
        long first = clock.now();
        time.advanceMillis(7);
        long second = clock.now();
        assertEquals(EPOCH, Hlc.millis(first));
        assertEquals(EPOCH + 7, Hlc.millis(second));
        assertEquals(0, Hlc.logical(second));
    }

    @Test
    void logicalCounterOrdersEventsWithinOneMillisecondAndAcrossAWallClockStepBack() {
        SimTime time = new SimTime(EPOCH);
        HybridClock clock = new HybridClock(time, 500);
        long a = clock.now();
        long b = clock.now();
        time.stepWallMillis(-3_000);                 // NTP steps the clock back
        long c = clock.now();
        assertTrue(a < b && b < c, "timestamps must strictly increase");
        assertEquals(EPOCH, Hlc.millis(c));
        assertEquals(2, Hlc.logical(c));
    }

    @Test
    void logicalOverflowMovesMillisForwardInsteadOfWrapping() {
        SimTime time = new SimTime(EPOCH);
        HybridClock clock = new HybridClock(time, 500);
        long previous = clock.now();
        for (int i = 0; i < Hlc.LOGICAL_MAX + 10; i++) {
            long next = clock.now();
            assertTrue(next > previous);
            previous = next;
        }
        assertEquals(EPOCH + 1, Hlc.millis(previous));
    }

    @Test
    void observedTimestampIsNeverOvertakenByLaterLocalOnes() throws Exception {
        SimTime time = new SimTime(EPOCH);
        HybridClock clock = new HybridClock(time, 500);
        long remote = Hlc.pack(EPOCH + 400, 9);      // a peer 400 ms ahead: within the offset
        clock.observe(remote);
        long local = clock.now();
        assertTrue(local > remote);
        assertEquals(EPOCH + 400, Hlc.millis(local));
    }

    @Test
    void peerTenSecondsAheadIsRefusedAndNotAdopted() throws Exception {
        SimTime time = new SimTime(EPOCH);
        HybridClock clock = new HybridClock(time, 500);
        long before = clock.now();
        long skewed = Hlc.pack(EPOCH + 10_000, 0);
        ClockSkewException refused = assertThrows(ClockSkewException.class, () -> clock.observe(skewed));
        assertEquals(10_000, refused.aheadMillis());
        assertTrue(refused.getMessage().contains("10000 ms ahead"), refused.getMessage());
        assertEquals(before, clock.last());
        assertEquals(EPOCH, Hlc.millis(clock.now()));
    }

    @Test
    void ordersLikeMillisThenLogicalThenNodeId() {
        long t = Hlc.pack(EPOCH, 3);
        assertTrue(Hlc.compare(t, "b", t, "a") > 0);
        assertTrue(Hlc.compare(Hlc.pack(EPOCH, 4), "a", t, "z") > 0);
        assertTrue(Hlc.compare(Hlc.pack(EPOCH + 1, 0), "a", Hlc.pack(EPOCH, Hlc.LOGICAL_MAX), "z") > 0);
    }

    @Test
    void randomInterleavingOfLocalAndRemoteEventsStaysStrictlyMonotonic() throws Exception {
        long seed = Long.getLong("keymesh.sim.seed", 42L);
        SplittableRandom random = new SplittableRandom(seed);
        SimTime time = new SimTime(EPOCH);
        HybridClock clock = new HybridClock(time, 500);
        long previous = 0;
        for (int i = 0; i < 100_000; i++) {
            switch (random.nextInt(4)) {
                case 0 -> time.advanceMillis(random.nextInt(3));
                case 1 -> time.stepWallMillis(-random.nextInt(50));
                case 2 -> clock.observe(Hlc.pack(time.wallMillis() + random.nextInt(-1000, 500), random.nextInt(100)));
                default -> {
                    long now = clock.now();
                    assertTrue(now > previous, "not monotonic at step " + i + " (seed " + seed + ")");
                    previous = now;
                }
            }
        }
    }

    @Test
    void advanceToAdoptsTheNodesOwnLoggedStampEvenFarAheadOfWallTime() {
        SimTime time = new SimTime(EPOCH);
        HybridClock clock = new HybridClock(time, 500);
        long logged = Hlc.pack(EPOCH + 3_600_000L, 3);       // written before the wall clock was set back an hour
        clock.advanceTo(logged);
        org.junit.jupiter.api.Assertions.assertTrue(Long.compareUnsigned(clock.now(), logged) > 0);
        clock.advanceTo(Hlc.pack(EPOCH, 0));                  // an older stamp changes nothing
        org.junit.jupiter.api.Assertions.assertEquals(Hlc.pack(EPOCH + 3_600_000L, 5), clock.now());
    }
}
