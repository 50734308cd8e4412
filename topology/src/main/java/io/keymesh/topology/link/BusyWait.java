package io.keymesh.topology.link;

import io.keymesh.storage.retry.Backoff;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.RespError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * How keymesh's own calls to its redis-server wait out a busy backend.
 *
 * <h2>Why waiting is right</h2>
 * While a script or function runs past {@code busy-reply-threshold}, Redis answers every other
 * connection's command with {@code -BUSY} and does not run it. For keymesh's own work (a link's
 * remote apply, reading or tailing the log, housekeeping, opening a connection, whose SELECT is
 * refused too) that answer means "not yet", never "failed": the call is sent again, unchanged, once
 * the backend answers, so nothing is lost and nothing applied twice, and the link keeps its
 * connection and position instead of dropping, reconnecting and resyncing in a loop. The wait ends
 * when the script ends or is killed (SCRIPT KILL, FUNCTION KILL), or when {@link #whileWaiting}
 * says the work is no longer wanted (its link closed), or on interrupt.
 *
 * <h2>What it tells</h2>
 * The first -BUSY of a wait is logged once, with what waits and Redis' message, and reported to
 * the owner's status ({@link #reportTo}: "backend busy", shown in INFO replication); the end of a
 * wait is logged once with its length. Retries back off from {@link #RETRY_MIN_MILLIS} to
 * {@link #RETRY_MAX_MILLIS}.
 */
public final class BusyWait {
    private static final Logger log = LoggerFactory.getLogger(BusyWait.class);
    static final long RETRY_MIN_MILLIS = 10;
    static final long RETRY_MAX_MILLIS = 250;
    /** What a status shows while a call waits for a busy backend. */
    public static final String BACKEND_BUSY = "backend busy";

    private final String who;
    private volatile Consumer<String> report = why -> { };
    private volatile BooleanSupplier stillWanted = () -> true;
    private volatile TimeSource time = TimeSource.system();
    private final Backoff backoff = new Backoff(RETRY_MIN_MILLIS, RETRY_MAX_MILLIS);
    private long waitingSinceNanos;
    private long retries;

    /** A wait for the work named {@code who} in the log ("link from 10.0.0.2:7001", "housekeeping"). */
    public BusyWait(String who) {
        this.who = who;
    }

    /** Where the reason for waiting goes ("" when the wait is over), e.g. a link status shown in INFO. */
    public BusyWait reportTo(Consumer<String> report) {
        this.report = report;
        return this;
    }

    /** The clock that measures how long a wait lasted (for its log line). */
    public BusyWait measuredBy(TimeSource time) {
        this.time = time;
        return this;
    }

    /** Called at every retry; false ends the wait with an IOException (the link it served has closed). */
    public BusyWait whileWaiting(BooleanSupplier stillWanted) {
        this.stillWanted = stillWanted;
        return this;
    }

    /** True when {@code reply} is Redis' -BUSY: the command was not run, a script or function holds the backend. */
    public static boolean isBusy(Object reply) {
        return reply instanceof RespError e && e.message().startsWith("BUSY ");   // not BUSYGROUP, BUSYKEY
    }

    /** Waits before the next attempt of a call the backend answered -BUSY; logs and reports the first of a wait. */
    void onBusy(RespError reply) throws IOException {
        if (retries == 0) {
            waitingSinceNanos = time.monotonicNanos();
            log.warn("{}: redis-server is busy ({}); waiting and retrying, nothing is dropped", who, reply.message());
            report.accept(BACKEND_BUSY);
        }
        retries++;
        if (!stillWanted.getAsBoolean()) {
            throw new IOException(who + ": gave up waiting for the busy backend (no longer wanted)");
        }
        try {
            backoff.pause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(who + ": interrupted while waiting for the busy backend");
        }
    }

    /** A call got its answer: ends a wait, if one was going on (logged once, the report cleared). */
    void onAnswered() {
        if (retries > 0) {
            log.info("{}: redis-server answers again after {} ms busy ({} retries)", who,
                    (time.monotonicNanos() - waitingSinceNanos) / 1_000_000, retries);
            retries = 0;
            backoff.reset();
            report.accept("");
        }
    }
}
