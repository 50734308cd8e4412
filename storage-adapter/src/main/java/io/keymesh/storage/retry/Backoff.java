package io.keymesh.storage.retry;

/**
 * Delays between attempts: doubling from {@code minMillis} up to {@code maxMillis} while attempts
 * fail, back to the minimum on {@link #reset} (a link that streamed, a server that stayed up). The
 * one backoff of keymesh: it only counts, the caller waits (sleep, event-loop timer or a simulated
 * clock), so it works under any clock. Not thread-safe: one per retry loop.
 */
public final class Backoff {
    private final long minMillis;
    private final long maxMillis;
    private long nextMillis;

    /** Delays from {@code minMillis} doubling up to {@code maxMillis} (a smaller maximum means the minimum). */
    public Backoff(long minMillis, long maxMillis) {
        if (minMillis < 0) {
            throw new IllegalArgumentException("backoff minimum must not be negative, got " + minMillis);
        }
        this.minMillis = minMillis;
        this.maxMillis = Math.max(minMillis, maxMillis);
        this.nextMillis = minMillis;
    }

    /** The delay before the next attempt; each call without {@link #reset} in between doubles the one after, up to the maximum. */
    public long next() {
        long delay = nextMillis;
        nextMillis = Math.min(nextMillis * 2, maxMillis);
        return delay;
    }

    /** The last attempt succeeded: the next delay is the minimum again. */
    public void reset() {
        nextMillis = minMillis;
    }

    /** Sleeps for {@link #next()}. */
    public void pause() throws InterruptedException {
        Thread.sleep(next());
    }
}
