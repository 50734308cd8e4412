package io.keymesh.topology.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.keymesh.topology.health.HealthState;
import io.keymesh.topology.health.UpstreamAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PrimarySelectorTest {
    private static final UpstreamAddress P1 = UpstreamAddress.parse("127.0.0.1:6401");
    private static final UpstreamAddress P2 = UpstreamAddress.parse("127.0.0.1:6402");
    private static final UpstreamAddress P3 = UpstreamAddress.parse("127.0.0.1:6403");

    private final List<String> switches = new ArrayList<>();

    private PrimarySelector selector(boolean preferFirst, UpstreamAddress... upstreams) {
        PrimarySelector s = new PrimarySelector(List.of(upstreams), preferFirst);
        s.addListener((from, to, reason) -> switches.add(name(from) + "->" + name(to)));
        return s;
    }

    private static String name(Optional<UpstreamAddress> u) {
        return u.map(a -> "p" + (a.port() - 6400)).orElse("none");
    }

    private static void up(PrimarySelector s, UpstreamAddress u) {
        s.onAvailability(u, true, "test");
    }

    private static void down(PrimarySelector s, UpstreamAddress u) {
        s.onAvailability(u, false, "test");
    }

    @Test
    void nothingIsSelectedUntilAnUpstreamIsUp() {
        PrimarySelector s = selector(false, P1, P2);
        assertEquals(Optional.empty(), s.current());
        up(s, P2);
        assertEquals(Optional.of(P2), s.current());
        up(s, P1);
        assertEquals(Optional.of(P2), s.current(), "without prefer-first a working upstream is kept");
        assertEquals(List.of("none->p2"), switches);
    }

    @Test
    void lossOfTheCurrentSwitchesToTheNextHealthyAndStaysThere() {
        PrimarySelector s = selector(false, P1, P2);
        up(s, P1);
        up(s, P2);
        down(s, P1);
        assertEquals(Optional.of(P2), s.current());
        up(s, P1);
        assertEquals(Optional.of(P2), s.current());
        down(s, P2);
        assertEquals(Optional.of(P1), s.current());
        assertEquals(List.of("none->p1", "p1->p2", "p2->p1"), switches);
    }

    @Test
    void nextHealthyIsSearchedAfterTheCurrentInListOrderWrappingAround() {
        PrimarySelector s = selector(false, P1, P2, P3);
        up(s, P1);
        up(s, P2);
        up(s, P3);
        down(s, P1);
        assertEquals(Optional.of(P2), s.current());
        down(s, P3);
        up(s, P1);
        down(s, P2);
        assertEquals(Optional.of(P1), s.current(), "p3 is down, so the search wraps to p1");
        assertEquals(List.of("none->p1", "p1->p2", "p2->p1"), switches);
    }

    @Test
    void preferFirstReturnsToTheFirstWhenItIsUpAgain() {
        PrimarySelector s = selector(true, P1, P2, P3);
        up(s, P2);
        up(s, P3);
        assertEquals(Optional.of(P2), s.current());
        up(s, P1);
        assertEquals(Optional.of(P1), s.current());
        down(s, P1);
        assertEquals(Optional.of(P2), s.current(), "prefer-first fails over to the first healthy in order");
        down(s, P2);
        assertEquals(Optional.of(P3), s.current());
        up(s, P2);
        assertEquals(Optional.of(P2), s.current(), "an earlier upstream is preferred even if not the first");
        assertEquals(List.of("none->p2", "p2->p1", "p1->p2", "p2->p3", "p3->p2"), switches);
    }

    @Test
    void allDownSelectsNothingAndTheFirstToComeBackIsTaken() {
        PrimarySelector s = selector(false, P1, P2);
        up(s, P1);
        down(s, P1);
        assertEquals(Optional.empty(), s.current());
        up(s, P2);
        assertEquals(Optional.of(P2), s.current());
        assertEquals(List.of("none->p1", "p1->none", "none->p2"), switches);
    }

    @Test
    void onlyChangesOfUsabilityFromHealthChecksMatter() {
        PrimarySelector s = selector(false, P1, P2);
        s.onStateChange(P1, HealthState.UNCHECKED, HealthState.UP, "PONG");
        s.onStateChange(P2, HealthState.UNCHECKED, HealthState.UP, "PONG");
        s.onStateChange(P1, HealthState.UP, HealthState.GOING_DOWN, "timeout");
        assertEquals(Optional.of(P1), s.current(), "an upstream going down is still followed");
        s.onStateChange(P1, HealthState.GOING_DOWN, HealthState.DOWN, "timeout");
        assertEquals(Optional.of(P2), s.current());
        s.onStateChange(P1, HealthState.DOWN, HealthState.GOING_UP, "PONG");
        assertEquals(List.of(P2), s.usableUpstreams());
    }

    @Test
    void refusesAnEmptyOrRepeatedListAndUnknownUpstreams() {
        assertThrows(IllegalArgumentException.class, () -> new PrimarySelector(List.of(), false));
        assertThrows(IllegalArgumentException.class, () -> new PrimarySelector(List.of(P1, P1), false));
        PrimarySelector s = selector(false, P1);
        assertThrows(IllegalArgumentException.class, () -> up(s, P2));
    }
}
