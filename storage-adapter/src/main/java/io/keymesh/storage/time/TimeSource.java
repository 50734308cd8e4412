package io.keymesh.storage.time;

/**
 * keymesh's only view of time: wall time feeds the hybrid logical clock and the times shown to
 * clients, monotonic time feeds intervals, deadlines and timeouts. {@link #system()} is the one
 * reader of the machine's clocks in main code (a contract test checks it); everything else is
 * handed a source, so tests and the simulation can pass their own. topology's
 * {@code io.keymesh.topology.clock.TimeSource} is this interface under topology's name.
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

    /** The machine's clocks, as a singleton: the one place main code reads them. */
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
