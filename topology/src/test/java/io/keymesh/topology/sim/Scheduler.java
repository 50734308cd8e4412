package io.keymesh.topology.sim;

import java.util.PriorityQueue;

/**
 * Virtual time and the one queue of what happens next: events run in time order, ties in the order
 * they were scheduled, all on the caller's thread. Nothing here reads a real clock.
 */
final class Scheduler {
    private record Event(long atMillis, long order, Runnable action) {
    }

    private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) -> a.atMillis != b.atMillis
            ? Long.compare(a.atMillis, b.atMillis) : Long.compare(a.order, b.order));
    private long nowMillis;
    private long scheduled;

    /** Virtual milliseconds since the run began. */
    long nowMillis() {
        return nowMillis;
    }

    /** Runs {@code action} {@code delayMillis} from now (0: after what is already due now). */
    void after(long delayMillis, Runnable action) {
        if (delayMillis < 0) {
            throw new IllegalArgumentException("delay must be >= 0, got " + delayMillis);
        }
        queue.add(new Event(nowMillis + delayMillis, scheduled++, action));
    }

    /** Runs events until the queue is empty or the next one is later than {@code untilMillis}; time ends at untilMillis. */
    void runUntil(long untilMillis) {
        while (!queue.isEmpty() && queue.peek().atMillis <= untilMillis) {
            Event e = queue.poll();
            nowMillis = e.atMillis;
            e.action.run();
        }
        nowMillis = Math.max(nowMillis, untilMillis);
    }

    /** Events waiting (a bound on the simulation's own memory). */
    int pending() {
        return queue.size();
    }
}
