package io.keymesh.topology.link;

import io.keymesh.topology.clock.TimeSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Why a pulling link is not applying right now, for INFO replication ({@code waiting=} on a peer
 * line, {@code upstream_waiting} on a replica): {@value BusyWait#BACKEND_BUSY} while its calls get
 * -BUSY from the node's redis-server ({@link BusyWait}), {@value #APPLY_SLOW} while one apply call
 * has run longer than {@link #APPLY_SLOW_NANOS}, else empty. The link keeps its connection and
 * position meanwhile. A run of slow applies is logged once when it starts and once when it ends.
 * Written by the link's driver (on its event loop, and by the backend thread whose call waits; each
 * call is handed over through the loop's task queue), read by anyone.
 */
public final class LinkWaiting {
    private static final Logger log = LoggerFactory.getLogger(LinkWaiting.class);
    /** What a status shows while an apply call runs long. */
    public static final String APPLY_SLOW = "apply slow";
    /** An apply call running longer than this counts as slow. */
    static final long APPLY_SLOW_NANOS = 1_000_000_000L;

    private final String who;
    private volatile String busy = "";
    private volatile long applyingSinceNanos = NOT_APPLYING;
    /** {@link #applyingSinceNanos} while no apply runs (a monotonic clock may read 0 or less). */
    private static final long NOT_APPLYING = Long.MIN_VALUE;
    private boolean busyDuringApply;
    private boolean slowLogged;
    private final TimeSource time;

    /** For the link named {@code who} in the log. */
    LinkWaiting(String who, TimeSource time) {
        this.who = who;
        this.time = time;
    }

    /** The wait this link's backend calls report: {@link BusyWait#BACKEND_BUSY} or "". */
    void busy(String why) {
        busy = why;
        if (!why.isEmpty()) {
            busyDuringApply = true;
        }
    }

    /** An apply call starts. */
    void applying() {
        busyDuringApply = false;
        applyingSinceNanos = time.monotonicNanos();
    }

    /** The apply call started last ended, having applied {@code entries}. */
    void applied(int entries) {
        long tookNanos = time.monotonicNanos() - applyingSinceNanos;
        applyingSinceNanos = NOT_APPLYING;
        boolean slow = tookNanos > APPLY_SLOW_NANOS && !busyDuringApply;
        if (slow && !slowLogged) {
            slowLogged = true;
            log.info("{}: applying {} entries took {} ms; the link waits for its applies and keeps its position",
                    who, entries, tookNanos / 1_000_000);
        } else if (!slow && slowLogged && tookNanos <= APPLY_SLOW_NANOS) {
            slowLogged = false;
            log.info("{}: applies are quick again", who);
        }
    }

    /** Why the link waits now, or "" when it does not. */
    public String why() {
        String b = busy;
        if (!b.isEmpty()) {
            return b;
        }
        long since = applyingSinceNanos;
        return since != NOT_APPLYING && time.monotonicNanos() - since > APPLY_SLOW_NANOS ? APPLY_SLOW : "";
    }
}
