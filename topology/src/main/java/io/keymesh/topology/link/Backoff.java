package io.keymesh.topology.link;

/**
 * Reconnect delays of a pulling link: doubling from {@code minMillis} up to {@code maxMillis} while
 * connections fail before they stream, and back to the minimum as soon as one streams (whatever
 * ends it later), so that a short network blip on a link that was working costs the minimum delay.
 */
final class Backoff {
    private final long minMillis;
    private final long maxMillis;
    private long nextMillis;

    Backoff(long minMillis, long maxMillis) {
        this.minMillis = minMillis;
        this.maxMillis = Math.max(minMillis, maxMillis);
        this.nextMillis = minMillis;
    }

    /** The connection got to streaming: the next delay is the minimum again. */
    void streamed() {
        nextMillis = minMillis;
    }

    /** The delay before the next connection attempt; each call without {@link #streamed} in between doubles the one after. */
    long next() {
        long delay = nextMillis;
        nextMillis = Math.min(nextMillis * 2, maxMillis);
        return delay;
    }
}
