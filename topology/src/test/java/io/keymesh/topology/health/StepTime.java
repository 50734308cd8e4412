package io.keymesh.topology.health;

import io.keymesh.topology.clock.TimeSource;

/** A time source the test moves by hand, in milliseconds. */
final class StepTime implements TimeSource {
    private long nanos = 1_000_000_000L;

    @Override
    public long wallMillis() {
        return 1_700_000_000_000L + nanos / 1_000_000;
    }

    @Override
    public long monotonicNanos() {
        return nanos;
    }

    void advanceMillis(long millis) {
        nanos += millis * 1_000_000;
    }
}
