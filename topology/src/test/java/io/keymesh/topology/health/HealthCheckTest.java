package io.keymesh.topology.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HealthCheckTest {
    private static final UpstreamAddress P1 = UpstreamAddress.parse("127.0.0.1:6401");
    private static final HealthCheckSettings SETTINGS =
            new HealthCheckSettings(Duration.ofMillis(1000), Duration.ofMillis(400), 3, 2);

    private final StepTime time = new StepTime();
    private final List<String> events = new ArrayList<>();
    private final HealthCheck check = new HealthCheck(P1, SETTINGS, time,
            (u, from, to, reason) -> events.add(from + "->" + to + " " + reason));

    /** Runs one check: waits until it is due, then reports its result. */
    private void check(boolean passes) {
        while (!check.onTick()) {
            time.advanceMillis(10);
        }
        if (passes) {
            check.onCheckPassed("PONG, ROLE master");
        } else {
            check.onCheckFailed("connection refused");
        }
    }

    @Test
    void firstCheckIsDueAtOnceAndTheNextOneAfterInter() {
        assertTrue(check.onTick());
        check.onCheckPassed("PONG, ROLE master");
        time.advanceMillis(999);
        assertFalse(check.onTick());
        time.advanceMillis(1);
        assertTrue(check.onTick());
    }

    @Test
    void noSecondCheckStartsWhileOneIsOpen() {
        assertTrue(check.onTick());
        time.advanceMillis(100);
        assertFalse(check.onTick());
        assertEquals(HealthState.UNCHECKED, check.state());
    }

    @Test
    void firstResultDecidesAtOnce() {
        check(false);
        assertEquals(HealthState.DOWN, check.state());
        assertEquals(List.of("UNCHECKED->DOWN check failed: connection refused"), events);

        HealthCheck other = new HealthCheck(P1, SETTINGS, time, (u, f, t, r) -> { });
        assertTrue(other.onTick());
        other.onCheckPassed("PONG, ROLE master");
        assertEquals(HealthState.UP, other.state());
    }

    @Test
    void upGoesDownOnlyAfterFallConsecutiveFailures() {
        check(true);
        check(false);
        assertEquals(HealthState.GOING_DOWN, check.state());
        assertTrue(check.isUp(), "an upstream failing fewer than fall checks is still followed");
        check(false);
        assertTrue(check.isUp());
        check(false);
        assertEquals(HealthState.DOWN, check.state());
        assertFalse(check.isUp());
        assertEquals("UP->GOING_DOWN check failed (1/3): connection refused", events.get(1));
        assertEquals("GOING_DOWN->DOWN check failed (3/3): connection refused", events.get(2));
    }

    @Test
    void aPassInBetweenResetsTheFailureCount() {
        check(true);
        check(false);
        check(false);
        check(true);
        assertEquals(HealthState.UP, check.state());
        check(false);
        check(false);
        assertTrue(check.isUp(), "two failures after a pass are not yet fall=3");
        check(false);
        assertFalse(check.isUp());
    }

    @Test
    void downComesUpOnlyAfterRiseConsecutivePasses() {
        check(false);
        check(true);
        assertEquals(HealthState.GOING_UP, check.state());
        assertFalse(check.isUp(), "one pass is not yet rise=2");
        check(false);
        assertEquals(HealthState.DOWN, check.state());
        check(true);
        check(true);
        assertEquals(HealthState.UP, check.state());
        assertEquals("GOING_UP->UP check passed (2/2): PONG, ROLE master", events.get(events.size() - 1));
    }

    @Test
    void fallDownTakesFallTimesInterWhenChecksFailAtOnce() {
        check(true);
        long startNanos = time.monotonicNanos();
        // the upstream dies right after its last good check; every later check fails at once
        while (check.isUp()) {
            check(false);
        }
        long tookMillis = (time.monotonicNanos() - startNanos) / 1_000_000;
        assertTrue(tookMillis >= 3000 && tookMillis <= 3010, "down after fall * inter, took " + tookMillis + " ms");
    }

    @Test
    void aCheckWithoutResultFailsAtTheTimeoutAndItsLateResultIsIgnored() {
        check(true);
        time.advanceMillis(1000);
        assertTrue(check.onTick());
        time.advanceMillis(399);
        assertFalse(check.onTick());
        assertEquals(HealthState.UP, check.state());
        time.advanceMillis(1);
        assertFalse(check.onTick());
        assertEquals(HealthState.GOING_DOWN, check.state());
        assertEquals("no reply within 400 ms", check.lastResult());
        check.onCheckPassed("late PONG");
        assertEquals(HealthState.GOING_DOWN, check.state(), "the timed-out check's late reply does not count");
        time.advanceMillis(599);
        assertFalse(check.onTick());
        time.advanceMillis(1);
        assertTrue(check.onTick(), "the next check starts inter after the timed-out one started");
    }

    @Test
    void nanosUntilNextEventPointsAtTheDueCheckOrTheTimeout() {
        assertEquals(0, check.nanosUntilNextEvent());
        assertTrue(check.onTick());
        assertEquals(400_000_000L, check.nanosUntilNextEvent());
        time.advanceMillis(100);
        check.onCheckPassed("PONG, ROLE master");
        assertEquals(900_000_000L, check.nanosUntilNextEvent());
    }
}
