package io.keymesh.topology.clock;

/** A time source a test moves by hand: advance both clocks, or step or skew the wall clock alone. */
final class SimTime implements TimeSource {
    private long wallMillis;
    private long monotonicNanos;

    SimTime(long wallMillis) {
        this.wallMillis = wallMillis;
    }

    @Override
    public long wallMillis() {
        return wallMillis;
    }

    @Override
    public long monotonicNanos() {
        return monotonicNanos;
    }

    void advanceMillis(long millis) {
        wallMillis += millis;
        monotonicNanos += millis * 1_000_000;
    }

    void stepWallMillis(long millis) {
        wallMillis += millis;
    }
}
