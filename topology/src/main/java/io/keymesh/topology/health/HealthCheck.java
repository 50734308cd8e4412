package io.keymesh.topology.health;

import io.keymesh.topology.clock.TimeSource;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health state machine of one upstream, HAProxy style: checks start every {@code inter}; an up
 * upstream goes down after {@code fall} failed checks in a row, a down one comes up after {@code rise}
 * passed checks in a row; the very first result decides at once.
 *
 * <p>Pure and deterministic: it performs no I/O and reads time only from the injected
 * {@link TimeSource}. A driver ({@link HealthMonitor}) calls {@link #onTick()} and, when it says a
 * check is due, runs the check and reports it with {@link #onCheckPassed(String)} or
 * {@link #onCheckFailed(String)}. A check still open after {@code timeout} is failed by the next tick;
 * its late result is then ignored. Every state change is logged with its reason and passed to the
 * listener (outside this object's lock).
 */
public final class HealthCheck {
    private static final Logger log = LoggerFactory.getLogger(HealthCheck.class);

    private final UpstreamAddress upstream;
    private final HealthCheckSettings settings;
    private final TimeSource time;
    private final HealthListener listener;

    private HealthState state = HealthState.UNCHECKED; // guarded by this
    private int passesInRow; // guarded by this
    private int failuresInRow; // guarded by this
    private long nextCheckAtNanos; // guarded by this
    private boolean checkOpen; // guarded by this
    private long checkStartedNanos; // guarded by this
    private String lastResult = "no check yet"; // guarded by this

    /** A check of {@code upstream}; the first check is due at once. */
    public HealthCheck(UpstreamAddress upstream, HealthCheckSettings settings, TimeSource time,
            HealthListener listener) {
        this.upstream = Objects.requireNonNull(upstream, "upstream");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.time = Objects.requireNonNull(time, "time");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.nextCheckAtNanos = time.monotonicNanos();
    }

    /** The upstream this checks. */
    public UpstreamAddress upstream() {
        return upstream;
    }

    /** The current state. */
    public synchronized HealthState state() {
        return state;
    }

    /** Whether the upstream may be followed now ({@link HealthState#isUp()}). */
    public synchronized boolean isUp() {
        return state.isUp();
    }

    /** The outcome of the last completed check, for INFO and logs ("PONG, role master", "connection refused"). */
    public synchronized String lastResult() {
        return lastResult;
    }

    /**
     * Advances time: fails an open check that has run past {@code timeout}, and says whether a new check
     * is due. When it returns true the check counts as started now; the caller must run it and report
     * its result.
     */
    public boolean onTick() {
        Transition t;
        synchronized (this) {
            long now = time.monotonicNanos();
            if (checkOpen) {
                if (now - checkStartedNanos < settings.timeout().toNanos()) {
                    return false;
                }
                checkOpen = false;
                t = recordFailure("no reply within " + settings.timeout().toMillis() + " ms");
            } else if (now - nextCheckAtNanos >= 0) {
                checkOpen = true;
                checkStartedNanos = now;
                nextCheckAtNanos = now + settings.inter().toNanos();
                return true;
            } else {
                return false;
            }
        }
        publish(t);
        return false;
    }

    /** Nanoseconds until the next {@link #onTick()} can change anything (a check due, or an open check's timeout). */
    public synchronized long nanosUntilNextEvent() {
        long now = time.monotonicNanos();
        long at = checkOpen ? checkStartedNanos + settings.timeout().toNanos() : nextCheckAtNanos;
        return Math.max(0, at - now);
    }

    /** The open check passed; {@code detail} says what the upstream answered. Ignored when no check is open. */
    public void onCheckPassed(String detail) {
        closeCheck(true, detail);
    }

    /** The open check failed; {@code reason} says why. Ignored when no check is open. */
    public void onCheckFailed(String reason) {
        closeCheck(false, reason);
    }

    /** Counts the open check's result, {@code detail} saying what it was, and publishes any state change. */
    private void closeCheck(boolean passed, String detail) {
        Transition t;
        synchronized (this) {
            if (!checkOpen) {
                log.debug("upstream {}: late check result ignored ({}: {})", upstream, passed ? "passed" : "failed", detail);
                return;
            }
            checkOpen = false;
            t = passed ? recordPass(detail) : recordFailure(detail);
        }
        publish(t);
    }

    private Transition recordPass(String detail) {
        lastResult = detail;
        failuresInRow = 0;
        passesInRow++;
        HealthState next = switch (state) {
            case UNCHECKED, UP, GOING_DOWN -> HealthState.UP;
            case DOWN, GOING_UP -> passesInRow >= settings.rise() ? HealthState.UP : HealthState.GOING_UP;
        };
        boolean counting = state == HealthState.DOWN || state == HealthState.GOING_UP;
        return moveTo(next, "check passed" + (counting ? " (" + passesInRow + "/" + settings.rise() + ")" : "")
                + ": " + detail);
    }

    private Transition recordFailure(String reason) {
        lastResult = reason;
        passesInRow = 0;
        failuresInRow++;
        HealthState next = switch (state) {
            case UNCHECKED, DOWN, GOING_UP -> HealthState.DOWN;
            case UP, GOING_DOWN -> failuresInRow >= settings.fall() ? HealthState.DOWN : HealthState.GOING_DOWN;
        };
        boolean counting = state == HealthState.UP || state == HealthState.GOING_DOWN;
        return moveTo(next, "check failed" + (counting ? " (" + failuresInRow + "/" + settings.fall() + ")" : "")
                + ": " + reason);
    }

    private Transition moveTo(HealthState next, String reason) {
        HealthState from = state;
        if (from == next) {
            return null;
        }
        state = next;
        return new Transition(from, next, reason);
    }

    private void publish(Transition t) {
        if (t == null) {
            return;
        }
        if (t.from.isUp() != t.to.isUp()) {
            log.info("upstream {} is {} (was {}): {}", upstream, t.to, t.from, t.reason);
        } else {
            log.info("upstream {} health {} -> {}: {}", upstream, t.from, t.to, t.reason);
        }
        listener.onStateChange(upstream, t.from, t.to, t.reason);
    }

    private record Transition(HealthState from, HealthState to, String reason) {
    }
}
