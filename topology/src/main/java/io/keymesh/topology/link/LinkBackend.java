package io.keymesh.topology.link;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * One link's calls to the node's redis-server: made one at a time, in the order submitted, on the
 * node's shared backend threads ({@link LinkRuntime}), over a connection of the link's own with db
 * {@code db} selected. The connection opens at the first call (and again after a failed call or
 * {@link #reset}); a call's outcome goes to its callback on the backend thread, which hands it to
 * the link's event loop. So a link never blocks its event loop, and the node's thread count does
 * not grow with its links.
 */
final class LinkBackend {
    /** A call over the link's connection. */
    interface Call<T> {
        T call(BackendClient conn) throws IOException, InterruptedException;
    }

    /** What a call came to: its result, or the exception that ended it. */
    interface Outcome<T> {
        void done(T result, Exception error);
    }

    private final Executor threads;
    private final BackendAccess access;
    private final int db;
    private final Supplier<BusyWait> busy;
    private final Deque<Runnable> queue = new ArrayDeque<>();     // guarded by this
    private boolean running;                                     // guarded by this
    private BackendClient conn;                                  // touched by one call at a time

    /** Calls run on {@code threads} over a connection with {@code db} selected, waiting out -BUSY with {@code busy}'s. */
    LinkBackend(Executor threads, BackendAccess access, int db, Supplier<BusyWait> busy) {
        this.threads = threads;
        this.access = access;
        this.db = db;
        this.busy = busy;
    }

    /** Queues {@code call}; {@code outcome} gets its result or error once it ran. */
    <T> void submit(Call<T> call, Outcome<T> outcome) {
        enqueue(() -> {
            T result;
            try {
                if (conn == null) {
                    conn = access.open(db, busy.get());
                }
                result = call.call(conn);
            } catch (IOException | RuntimeException e) {
                closeConnection();
                outcome.done(null, e);
                return;
            } catch (InterruptedException e) {
                closeConnection();
                Thread.currentThread().interrupt();
                outcome.done(null, e);
                return;
            }
            outcome.done(result, null);
        });
    }

    /** Drops the calls not started yet and closes the connection after the running one. */
    void reset() {
        synchronized (this) {
            queue.clear();
        }
        enqueue(this::closeConnection);
    }

    private void closeConnection() {
        if (conn != null) {
            conn.close();
            conn = null;
        }
    }

    private void enqueue(Runnable task) {
        synchronized (this) {
            queue.add(task);
            if (running) {
                return;
            }
            running = true;
        }
        schedule();
    }

    private void schedule() {
        try {
            threads.execute(this::runOne);
        } catch (RejectedExecutionException e) {
            synchronized (this) {           // the node is stopping: nothing more runs
                queue.clear();
                running = false;
            }
            closeConnection();
        }
    }

    /** Runs the next call, then yields the thread to other links before the one after. */
    private void runOne() {
        Runnable task;
        synchronized (this) {
            task = queue.poll();
            if (task == null) {
                running = false;
                return;
            }
        }
        try {
            task.run();
        } finally {
            boolean more;
            synchronized (this) {
                more = !queue.isEmpty();
                if (!more) {
                    running = false;
                }
            }
            if (more) {
                schedule();
            }
        }
    }
}
