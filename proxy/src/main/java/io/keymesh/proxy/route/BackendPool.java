package io.keymesh.proxy.route;

import io.keymesh.storage.conn.BackendConnector;
import io.keymesh.storage.conn.BackendLink;
import io.keymesh.storage.conn.LinkListener;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * The shared backend links of one event loop: one pipelined connection per (database, protocol)
 * pair in use, opened on first use and reopened after a failure. Sessions on this loop send their
 * stateless commands here; dedicated links for stateful sessions are opened here too. Only the
 * owning event loop touches a pool.
 *
 * <h2>A shared link behind a long request</h2>
 * Redis answers a connection's requests one at a time, so everything queued on a shared link waits
 * for a request that runs long, above all a script that runs past {@code busy-reply-threshold}
 * (Redis answers other connections -BUSY then, but never reads further on this one). When a
 * shared link has had no reply for {@link #STALL_NANOS}, the pool retires it: new requests go on a
 * new link, where Redis answers them itself (-BUSY while the script runs, as it would a direct
 * client); the retired link keeps the requests already on it, which run in their order once the
 * script ends or is killed, and closes when their replies are in. A session with replies still due
 * on the retired link stays on it ({@link #shared(int, int, BackendLink)}), so its own requests keep
 * their order.
 */
public final class BackendPool {
    private static final Logger log = LoggerFactory.getLogger(BackendPool.class);
    private static final FastThreadLocal<BackendPool> POOLS = new FastThreadLocal<>();
    /** How long a shared link may wait for a reply before new requests go on a new link. */
    static final long STALL_NANOS = 200_000_000L;

    private final EventLoop loop;
    private final BackendConnector connector;
    private final BackendLink[] shared;
    private final List<List<BackendLink>> retired = new ArrayList<>();   // per slot, the links retired and not closed yet
    private final List<Runnable> waitingForWritable = new ArrayList<>();

    private BackendPool(EventLoop loop, BackendConnector connector, int databases) {
        this.loop = loop;
        this.connector = connector;
        this.shared = new BackendLink[databases * 2];
        for (int i = 0; i < databases * 2; i++) {
            retired.add(new ArrayList<>(2));
        }
    }

    /** The pool of the calling event loop (created on first use). */
    public static BackendPool current(EventLoop loop, BackendConnector connector, int databases) {
        BackendPool pool = POOLS.get();
        if (pool == null || pool.connector != connector) {
            pool = new BackendPool(loop, connector, databases);
            POOLS.set(pool);
        }
        return pool;
    }

    /** The shared link for {@code db} in {@code protocol} (2 or 3). */
    public BackendLink shared(int db, int protocol) {
        return shared(db, protocol, null);
    }

    /**
     * The shared link for {@code db} in {@code protocol}, or {@code previous} (the link a session's
     * replies are still due on) when that is one of this slot's retired links and still open: a
     * session stays on the link its earlier requests wait on however many links were retired since.
     */
    public BackendLink shared(int db, int protocol, BackendLink previous) {
        int slot = db * 2 + (protocol == 3 ? 1 : 0);
        BackendLink link = shared[slot];
        if (link != null && link.isOpen() && link.stalledNanos(connector.time().monotonicNanos()) > STALL_NANOS) {
            log.debug("shared backend link for db {} has waited {} ms for a reply; new requests go on a new link",
                    db, link.stalledNanos(connector.time().monotonicNanos()) / 1_000_000);
            retired.get(slot).add(link);
            link.closeWhenIdle();
            link = null;
        }
        // after the retirement above: a session whose requests wait on the link just retired stays there
        if (previous != null && previous.isOpen() && retired.get(slot).contains(previous)) {
            return previous;
        }
        if (link == null || !link.isOpen()) {
            link = connector.connect(loop, db, protocol, new SharedListener(slot));
            shared[slot] = link;
        }
        return link;
    }

    /** A new link for one session's exclusive use. */
    public BackendLink dedicated(int db, int protocol, LinkListener listener) {
        return connector.connect(loop, db, protocol, listener);
    }

    /** Runs {@code resume} once the shared link that filled up drains. */
    public void whenWritable(Runnable resume) {
        waitingForWritable.add(resume);
    }

    private final class SharedListener implements LinkListener {
        private final int slot;

        SharedListener(int slot) {
            this.slot = slot;
        }

        @Override
        public void onUnsolicited(ByteBuf buffer, int index, int length) {
            log.warn("unexpected frame on a shared backend link: {} bytes", length);
        }

        @Override
        public void onClosed(BackendLink link) {
            if (shared[slot] == link) {
                shared[slot] = null;
            }
            retired.get(slot).remove(link);
            onWritable(link);
        }

        @Override
        public void onWritable(BackendLink link) {
            if (!waitingForWritable.isEmpty()) {
                List<Runnable> resume = new ArrayList<>(waitingForWritable);
                waitingForWritable.clear();
                resume.forEach(Runnable::run);
            }
        }
    }
}
