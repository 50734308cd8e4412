package io.keymesh.topology.clock;

/**
 * keymesh's only view of time, under topology's name: storage-adapter's {@link
 * io.keymesh.storage.time.TimeSource} (wall time for the hybrid logical clock, monotonic time for
 * intervals and timeouts), which sits below topology so that the backend's supervision reads the
 * same source. Production uses {@link #system()}; tests pass a simulated source.
 */
public interface TimeSource extends io.keymesh.storage.time.TimeSource {
    /** The machine's clocks (storage-adapter's {@link io.keymesh.storage.time.TimeSource#system()}). */
    static TimeSource system() {
        return SystemTime.INSTANCE;
    }

    /** The machine's clocks as topology's source, read through storage-adapter's one reader. */
    enum SystemTime implements TimeSource {
        INSTANCE;

        private static final io.keymesh.storage.time.TimeSource MACHINE = io.keymesh.storage.time.TimeSource.system();

        @Override
        public long wallMillis() {
            return MACHINE.wallMillis();
        }

        @Override
        public long monotonicNanos() {
            return MACHINE.monotonicNanos();
        }
    }
}
