package io.keymesh.topology.sim;

import io.keymesh.topology.clock.TimeSource;

/**
 * One simulated node's clocks: the scheduler's virtual time plus this node's wall-clock skew, which
 * the simulation steps (a clock set wrong, then corrected). The monotonic clock never skews.
 */
final class NodeTime implements TimeSource {
    /** Wall time at virtual time 0: a fixed date, so that runs do not depend on when they happen. */
    static final long EPOCH_MILLIS = 1_780_000_000_000L;

    private final Scheduler scheduler;
    private long skewMillis;

    NodeTime(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    @Override
    public long wallMillis() {
        return EPOCH_MILLIS + scheduler.nowMillis() + skewMillis;
    }

    @Override
    public long monotonicNanos() {
        return scheduler.nowMillis() * 1_000_000L;
    }

    long skewMillis() {
        return skewMillis;
    }

    void skewMillis(long millis) {
        skewMillis = millis;
    }
}
