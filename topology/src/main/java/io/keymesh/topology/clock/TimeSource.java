package io.keymesh.topology.clock;

/**
 * keymesh's only view of time: wall time feeds the hybrid logical clock, monotonic time feeds
 * intervals and timeouts. Production uses {@link #system()}; tests pass a simulated source.
 */
public interface TimeSource {
    /** Milliseconds since the Unix epoch, as the machine's clock says (may jump). */
    long wallMillis();

    /** Nanoseconds from an arbitrary origin, never going backwards. */
    long monotonicNanos();

    /** The machine's clocks. */
    static TimeSource system() {
        return SystemTime.INSTANCE;
    }

    /** The machine's clocks, as a singleton. */
    enum SystemTime implements TimeSource {
        INSTANCE;

        @Override
        public long wallMillis() {
            return System.currentTimeMillis();
        }

        @Override
        public long monotonicNanos() {
            return System.nanoTime();
        }
    }
}
