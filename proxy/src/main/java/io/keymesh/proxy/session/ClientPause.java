package io.keymesh.proxy.session;

import io.keymesh.proxy.command.CommandClass;
import io.keymesh.proxy.command.CommandSpec;
import io.keymesh.storage.time.TimeSource;

import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * CLIENT PAUSE for the node's clients: while a pause lasts, the commands it covers (all of them, or
 * those that may write) are held by each session and run when it ends or CLIENT UNPAUSE is called.
 * Replication links (KEYMESH commands) are never held. As in Redis, a new pause never shortens or
 * weakens one in effect: the later end and the stronger mode win. Thread-safe; a session asks
 * {@link #holds} once per request, a single volatile read while no pause is set.
 */
public final class ClientPause {
    /** Commands held in WRITE mode besides WRITE rows, as Redis holds them: scripts may write, PUBLISH and PFCOUNT propagate. */
    static final Set<String> MAY_WRITE = Set.of("EVAL", "EVALSHA", "FCALL", "PUBLISH", "SPUBLISH", "PFCOUNT");

    private volatile long untilMillis;           // 0: no pause
    private volatile boolean all;
    private final ConcurrentLinkedQueue<Runnable> waiters = new ConcurrentLinkedQueue<>();
    private final TimeSource time;

    /** No pause yet; pauses end by {@code time}'s wall clock. */
    ClientPause(TimeSource time) {
        this.time = time;
    }

    /** CLIENT PAUSE {@code millis} [WRITE|ALL]. */
    public synchronized void pause(long millis, boolean allCommands) {
        long now = time.wallMillis();
        long end = now + millis;
        boolean inEffect = untilMillis > now;
        all = allCommands || inEffect && all;
        untilMillis = inEffect ? Math.max(untilMillis, end) : end;
    }

    /** CLIENT UNPAUSE: ends the pause and wakes every session holding commands. */
    public void unpause() {
        synchronized (this) {
            untilMillis = 0;
            all = false;
        }
        Runnable wake;
        while ((wake = waiters.poll()) != null) {
            wake.run();
        }
    }

    /**
     * Milliseconds a request of {@code s} must still wait (0: run it now); {@code spec} is null for
     * unknown commands. In WRITE mode an EXEC waits when its transaction queued a write.
     */
    public long holds(ClientSession s, CommandSpec spec) {
        long until = untilMillis;
        if (until == 0 || spec == null) {
            return 0;
        }
        long left = until - time.wallMillis();
        if (left <= 0) {
            expired(until);
            return 0;
        }
        return all || spec.kind() == CommandClass.WRITE || MAY_WRITE.contains(spec.name())
                || spec.name().equals("EXEC") && s.inMulti() && s.queuedWrite() ? left : 0;
    }

    /** Clears a pause that ended, so later requests see no pause in one read. */
    private synchronized void expired(long until) {
        if (untilMillis == until) {
            untilMillis = 0;
            all = false;
        }
    }

    /** Runs {@code wake} (once) when CLIENT UNPAUSE ends the pause early; the caller also times its own wait. */
    public void onUnpause(Runnable wake) {
        waiters.add(wake);
        if (untilMillis == 0 && waiters.remove(wake)) {
            wake.run();
        }
    }

    /** Drops a wake-up registered with {@link #onUnpause} (its session's own timer ran first). */
    public void forget(Runnable wake) {
        waiters.remove(wake);
    }
}
