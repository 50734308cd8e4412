package io.keymesh.topology.link;

import io.keymesh.topology.clock.TimeSource;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * A link driver's one timer on its event loop: {@link #at} asks for a call at a monotonic time (of
 * the injected {@link TimeSource}); the earliest time asked for wins, and a machine asks again for
 * what it still needs once it fires. Used on the loop only.
 */
final class LoopTimer {
    private final EventLoop loop;
    private final TimeSource time;
    private final Runnable fire;
    private ScheduledFuture<?> pending;
    private long atNanos = Long.MAX_VALUE;

    /** Runs {@code fire} on {@code loop} when the time comes. */
    LoopTimer(EventLoop loop, TimeSource time, Runnable fire) {
        this.loop = loop;
        this.time = time;
        this.fire = fire;
    }

    /** Fires at {@code nanos} (at once if past), unless it is set to fire earlier already. */
    void at(long nanos) {
        if (pending != null && atNanos <= nanos) {
            return;
        }
        cancel();
        atNanos = nanos;
        pending = loop.schedule(this::fired, Math.max(0, nanos - time.monotonicNanos()), TimeUnit.NANOSECONDS);
    }

    /** Drops the time set, if any. */
    void cancel() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
        atNanos = Long.MAX_VALUE;
    }

    private void fired() {
        pending = null;
        atNanos = Long.MAX_VALUE;
        fire.run();
    }
}
