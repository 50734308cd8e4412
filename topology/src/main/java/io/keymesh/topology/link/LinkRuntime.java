package io.keymesh.topology.link;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads every link of a node shares, whatever the number of peers and replicas: one Netty
 * event loop ({@code keymesh-link-io}) on which the pulling links' connections, machines and timers
 * run, and {@link #BACKEND_THREADS} threads ({@code keymesh-link-backend-N}) that make the links'
 * blocking calls to the node's redis-server (applies, snapshot merges, log spans, the steps of a
 * snapshot being sent), each link's one at a time ({@link LinkBackend}). Serving links run on the
 * client port's event loops, read their logs there ({@link LoopLogReader}) and use the same backend
 * threads for the rest.
 */
public final class LinkRuntime implements AutoCloseable {
    /** Threads making the links' backend calls. */
    public static final int BACKEND_THREADS = 2;

    private final EventLoopGroup loops;
    private final ThreadPoolExecutor backend;

    public LinkRuntime() {
        this.loops = new NioEventLoopGroup(1, new DefaultThreadFactory("keymesh-link-io", true));
        this.backend = new ThreadPoolExecutor(BACKEND_THREADS, BACKEND_THREADS, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), named("keymesh-link-backend-"));
        this.backend.prestartAllCoreThreads();      // they live as long as the node
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** The event loop a new pulling link runs on. */
    EventLoop nextLoop() {
        return loops.next();
    }

    /** The threads that make backend calls. */
    ExecutorService backend() {
        return backend;
    }

    /** Stops the threads (after the links are closed). */
    @Override
    public void close() {
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        backend.shutdown();             // the links' last calls close their backend connections
        try {
            if (!backend.awaitTermination(2, TimeUnit.SECONDS)) {
                backend.shutdownNow();
            }
        } catch (InterruptedException e) {
            backend.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
