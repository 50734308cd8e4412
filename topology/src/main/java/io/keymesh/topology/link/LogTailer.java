package io.keymesh.topology.link;

import io.keymesh.storage.apply.ReplicationLog;
import io.keymesh.storage.retry.Backoff;
import io.keymesh.topology.wire.Frames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executor;

/**
 * Waits on the node's logs for all its serving links at once: one thread ({@code keymesh-link-tail})
 * blocks in one {@code XREAD BLOCK} on the logs the idle links wait on, each from the lowest
 * position a link waits after, and wakes every link whose log grew past its position. A link that
 * starts waiting after a position the thread has already seen passed is woken at once; one that
 * waits on a log (or from a position) the current block does not cover ends that block early
 * ({@code CLIENT UNBLOCK} from the node's backend threads), so the next block covers it. A block
 * lasts at most {@code blockMillis}. With no link waiting the thread makes no call.
 */
public final class LogTailer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogTailer.class);

    /** One link's wait: the position of each log it waits on, and what wakes it. */
    private record Wait(Map<String, Long> after, Runnable wake) {
    }

    private final BackendAccess backend;
    private final int databases;
    private final long blockMillis;
    private final List<Wait> waits = new ArrayList<>();          // guarded by this
    private final Map<String, Long> seen = new HashMap<>();      // guarded by this: the latest entry seen per origin
    private final Executor calls;
    private final Thread thread;
    private Map<String, Long> blockedOn;        // guarded by this: what the XREAD under way waits after, null between
    private boolean unblocking;                 // guarded by this
    private volatile long clientId = -1;        // the tailing connection's CLIENT ID
    private final Object controlLock = new Object();
    private BackendClient control;              // guarded by controlLock: the connection that sends CLIENT UNBLOCK
    private volatile boolean closed;

    /**
     * Tails the logs of the backend behind {@code backend} ({@code databases} user databases),
     * blocking at most {@code blockMillis} at a time; ends a block early from {@code runtime}'s backend threads.
     */
    public LogTailer(BackendAccess backend, int databases, long blockMillis, LinkRuntime runtime) {
        this.backend = backend;
        this.calls = runtime.backend();
        this.databases = databases;
        this.blockMillis = Math.max(1, blockMillis);
        this.thread = new Thread(this::run, "keymesh-link-tail");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /**
     * Calls {@code wake} once a log in {@code after} holds an entry past its position there (at once
     * when one is known to); returns the wait, for {@link #cancel}. {@code wake} runs on the tailing
     * thread or the caller's and must not block.
     */
    Object await(Map<String, Long> after, Runnable wake) {
        Wait w = new Wait(after, wake);
        synchronized (this) {
            if (!grown(w)) {
                waits.add(w);
                notifyAll();
                if (!covered(w)) {
                    unblock();
                }
                return w;
            }
        }
        wake.run();
        return w;
    }

    /** True when the XREAD under way (if any) also ends once a log of {@code w} grows past its position. */
    private boolean covered(Wait w) {
        if (blockedOn == null) {
            return true;            // the next XREAD includes it
        }
        for (Map.Entry<String, Long> e : w.after.entrySet()) {
            Long from = blockedOn.get(e.getKey());
            if (from == null || from > e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Ends the XREAD under way early (once at a time), from a backend thread. */
    private void unblock() {
        long id = clientId;
        if (unblocking || id < 0) {
            return;
        }
        unblocking = true;
        try {
            calls.execute(() -> {
                try {
                    synchronized (controlLock) {
                        if (control == null && !closed) {
                            control = backend.open(0, new BusyWait("log tailing").whileWaiting(() -> !closed));
                        }
                        if (control != null) {
                            control.call("CLIENT", "UNBLOCK", Long.toString(id));
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    closeControl();
                } finally {
                    synchronized (this) {
                        unblocking = false;
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            unblocking = false;
        }
    }

    /** Ends a wait without waking it. */
    synchronized void cancel(Object wait) {
        waits.remove(wait);
    }

    private boolean grown(Wait w) {
        for (Map.Entry<String, Long> e : w.after.entrySet()) {
            if (seen.getOrDefault(e.getKey(), 0L) > e.getValue()) {
                return true;
            }
        }
        return false;
    }

    private void run() {
        Backoff backoff = new Backoff(100, 2000);
        BackendClient conn = null;
        while (!closed) {
            try {
                Map<String, Long> from = lowest();
                if (from == null) {
                    continue;
                }
                if (conn == null) {
                    conn = backend.open(2 * databases, new BusyWait("log tailing").whileWaiting(() -> !closed));
                    clientId = (Long) conn.ok(List.of("CLIENT", "ID"));
                    synchronized (this) {
                        seen.clear();       // a restarted redis-server may hold less than was seen before
                    }
                }
                Object reply;
                try {
                    reply = conn.ok(ReplicationLog.awaitAny(from, blockMillis));
                } finally {
                    synchronized (this) {
                        blockedOn = null;
                    }
                }
                if (reply instanceof List<?> streams) {
                    grew(streams, from);
                }
                backoff.reset();
            } catch (IOException | RuntimeException e) {
                if (conn != null) {
                    conn.close();
                    conn = null;
                    clientId = -1;
                }
                if (!closed) {
                    log.debug("log tailing: {}", e.toString());
                    try {
                        backoff.pause();
                    } catch (InterruptedException stop) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                break;
            }
        }
        if (conn != null) {
            conn.close();
        }
        closeControl();
    }

    private void closeControl() {
        synchronized (controlLock) {
            if (control != null) {
                control.close();
                control = null;
            }
        }
    }

    /** The lowest position waited after, per log (sorted); null after waiting {@code blockMillis} for a first wait. */
    private synchronized Map<String, Long> lowest() throws InterruptedException {
        if (waits.isEmpty()) {
            wait(blockMillis);
            return null;
        }
        Map<String, Long> from = new TreeMap<>();
        for (Wait w : waits) {
            w.after.forEach((origin, seq) -> from.merge(origin, seq, Math::min));
        }
        blockedOn = from;
        return from;
    }

    /** An XREAD answered: records the entries seen and wakes the waits they pass. */
    private void grew(List<?> streams, Map<String, Long> from) {
        Map<String, String> origins = new HashMap<>();
        for (String origin : from.keySet()) {
            origins.put(ReplicationLog.logKey(origin), origin);
        }
        List<Wait> woken = new ArrayList<>();
        synchronized (this) {
            for (Object s : streams) {
                List<?> stream = (List<?>) s;
                String origin = origins.get(Frames.text(stream.get(0)));
                List<?> entries = (List<?>) stream.get(1);
                if (origin == null || entries.isEmpty()) {
                    continue;
                }
                long seq = ReplicationLog.sequence(Frames.text(((List<?>) entries.get(0)).get(0)));
                seen.merge(origin, seq, Math::max);
            }
            for (Wait w : new ArrayList<>(waits)) {
                if (grown(w)) {
                    waits.remove(w);
                    woken.add(w);
                }
            }
        }
        for (Wait w : woken) {
            w.wake.run();
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        synchronized (this) {
            notifyAll();
        }
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
