package io.keymesh.topology.clock;

/**
 * A node's hybrid logical clock.
 *
 * <h2>Design</h2>
 * The clock's value is the largest of the local wall time and every timestamp it has issued or
 * received, so timestamps issued here are unique, strictly increasing, and later than anything
 * this node has seen from others (causality), while staying close to wall time. {@link #now()}
 * advances for a local write; {@link #observe(long)} merges a received timestamp. If the wall
 * clock stands still or goes back, the logical counter advances; if the counter would overflow
 * 16 bits, the millisecond part moves one ahead of wall time (never the counter wrapping).
 * A received timestamp more than {@code clockOffsetMillisMax} ahead of local wall time is refused
 * with {@link ClockSkewException} and not adopted, so one node with a wrong clock cannot drag
 * every other clock (and every LWW decision) into the future. Thread-safe.
 */
public final class HybridClock {
    private final TimeSource time;
    private final long clockOffsetMillisMax;
    private long last;       // the largest timestamp issued or observed

    /** The time source this clock reads: the node's one clock, for anything else that needs the time too. */
    public TimeSource time() {
        return time;
    }

    public HybridClock(TimeSource time, long clockOffsetMillisMax) {
        if (clockOffsetMillisMax < 0) {
            throw new IllegalArgumentException("clockOffsetMillisMax must be >= 0, got " + clockOffsetMillisMax);
        }
        this.time = time;
        this.clockOffsetMillisMax = clockOffsetMillisMax;
    }

    /** A new timestamp for a local event, greater than every timestamp issued or observed before. */
    public synchronized long now() {
        long wall = Hlc.pack(time.wallMillis(), 0);
        last = wall > last ? wall : next(last);
        return last;
    }

    /**
     * Merges a timestamp received from another node; afterwards {@link #now()} issues only later
     * timestamps. Throws, and changes nothing, when {@code remote} is too far ahead of wall time.
     */
    public synchronized void observe(long remote) throws ClockSkewException {
        long wallMillis = time.wallMillis();
        long aheadMillis = Hlc.millis(remote) - wallMillis;
        if (aheadMillis > clockOffsetMillisMax) {
            throw new ClockSkewException(remote, aheadMillis, clockOffsetMillisMax);
        }
        if (Long.compareUnsigned(remote, last) > 0) {
            last = remote;
        }
    }

    /**
     * Adopts {@code hlc} from this node's own durable state (the newest stamp in its log at start),
     * with no offset check: after a restart, even with the wall clock set back, the clock never
     * issues a timestamp lower than one it issued before.
     */
    public synchronized void advanceTo(long hlc) {
        if (Long.compareUnsigned(hlc, last) > 0) {
            last = hlc;
        }
    }

    /** The largest timestamp issued or observed so far (0 before any). */
    public synchronized long last() {
        return last;
    }

    public long clockOffsetMillisMax() {
        return clockOffsetMillisMax;
    }

    private static long next(long hlc) {
        return Hlc.logical(hlc) < Hlc.LOGICAL_MAX ? hlc + 1 : Hlc.pack(Hlc.millis(hlc) + 1, 0);
    }
}
