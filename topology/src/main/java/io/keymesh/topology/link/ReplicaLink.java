package io.keymesh.topology.link;

import io.keymesh.topology.clock.HybridClock;
import io.keymesh.topology.clock.TimeSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A replica's link: the {@link PullLink} following the upstream {@code current} names ("host:port",
 * null while none is healthy; the handshake is {@link LinkHandshake}'s, as a replica), pulling every
 * origin's log from the replica's position vector, and
 * the writers waiting until some origin is applied up to a position ({@link #awaitApplied}).
 * {@link #upstreamChanged()} drops the connection so the next one goes to the newly selected
 * upstream, resuming from the same vector.
 */
public final class ReplicaLink implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaLink.class);

    private final ReplicaStatus status;
    private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    private final BackendAccess backend;
    private final int databases;
    private final PullLink link;

    private record Waiter(String origin, long seq, CompletableFuture<Void> done) {
    }

    public ReplicaLink(Supplier<String> current, PullLink.Self self, HybridClock clock, TimeSource time,
                       BackendAccess backend, LinkSettings settings, LinkRuntime runtime) {
        this.status = new ReplicaStatus(time);
        this.backend = backend;
        this.databases = self.databases();
        this.link = PullLink.toUpstream(() -> {
            String target = current.get();
            status.upstream(target == null ? "" : target);
            return target;
        }, new PullLink.Self(self.nodeId(), "replica", self.advertise(), self.clusterSecret(), self.databases()),
                clock, time, backend, settings, status, runtime);
        link.onApplied(this::release);
    }

    public ReplicaStatus status() {
        return status;
    }

    /** Whether the connection to {@code address} ("host:port") received bytes at or after {@code sinceNanos} (monotonic). */
    public boolean readSince(String address, long sinceNanos) {
        return link.readSince(address, sinceNanos);
    }

    /** Sets the address told to upstreams ("host:port"), once the client port is bound. */
    public void advertise(String address) {
        link.advertise(address);
    }

    /** Called with the reason each time this link refuses an upstream that cannot prove the cluster secret (set before start). */
    public void onSecretRefusal(Consumer<String> listener) {
        link.onSecretRefusal(listener);
    }

    /** Loads the position vector and starts following. */
    public void start() {
        try (BackendClient conn = backend.open(2 * databases)) {
            new LogStore(conn, databases).positions().forEach(status::position);
        } catch (IOException e) {
            log.warn("replica: cannot read the position vector yet: {}", e.toString());
        }
        link.start();
    }

    /** The selected upstream changed: reconnect to the new one (the position vector carries over). */
    public void upstreamChanged() {
        status.switches.incrementAndGet();
        status.linkDown();
        link.reconnect();
    }

    /** Completes once {@code origin}'s log is applied here up to {@code seq} (at once if it already is). */
    public CompletableFuture<Void> awaitApplied(String origin, long seq) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        waiters.add(new Waiter(origin, seq, done));
        release();
        return done;
    }

    private void release() {
        Map<String, Long> positions = status.positions();
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (w.done.isDone()) {
                it.remove();
            } else if (positions.getOrDefault(w.origin, 0L) >= w.seq) {
                it.remove();
                w.done.complete(null);
            }
        }
    }

    @Override
    public void close() {
        link.close();
        for (Waiter w : waiters) {
            w.done.completeExceptionally(new IllegalStateException("replica link closed"));
        }
    }
}
