package io.keymesh.proxy.replica;

import io.keymesh.topology.clock.HybridClock;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.failover.ReplicaSettings;
import io.keymesh.topology.failover.UpstreamTracker;
import io.keymesh.topology.health.UpstreamAddress;
import io.keymesh.topology.link.BackendAccess;
import io.keymesh.topology.link.LinkRuntime;
import io.keymesh.topology.link.LinkSettings;
import io.keymesh.topology.link.LinkSockets;
import io.keymesh.topology.link.PullLink;
import io.keymesh.topology.link.ReplicaLink;
import io.keymesh.topology.link.ReplicaStatus;

import java.util.List;
import java.util.Optional;

/**
 * A replica node's following of its primaries: the health checks choosing the upstream
 * ({@link UpstreamTracker}) and the link pulling every origin's log from it ({@link ReplicaLink}),
 * switched together. {@link #close()} stops both.
 */
public final class ReplicaRole implements AutoCloseable {
    private final ReplicaSettings settings;
    private final UpstreamTracker tracker;
    private final ReplicaLink link;

    public ReplicaRole(ReplicaSettings settings, PullLink.Self self, HybridClock clock, TimeSource time,
                       BackendAccess backend, String checkUsername, String checkPassword, LinkSockets sockets,
                       LinkRuntime runtime) {
        this.settings = settings;
        this.tracker = UpstreamTracker.withRespChecks(settings, checkUsername, checkPassword, sockets, this::linkReadSince,
                time);
        LinkSettings linkSettings = LinkSettings.defaults().withReconnect(50, 1000).withSockets(sockets);
        this.link = new ReplicaLink(() -> tracker.current().map(UpstreamAddress::toString).orElse(null), self, clock,
                time, backend, linkSettings, runtime);
        tracker.addListener((from, to, reason) -> {
            if (from.isPresent()) {
                link.upstreamChanged();
            }
        });
    }

    /** Whether the link received bytes from {@code upstream} at or after {@code sinceNanos}: its checks may queue behind them. */
    private boolean linkReadSince(UpstreamAddress upstream, long sinceNanos) {
        ReplicaLink l = link;
        return l != null && l.readSince(upstream.toString(), sinceNanos);
    }

    /** Starts the link and the checks. */
    public void start() {
        link.start();
        tracker.start();
    }

    public ReplicaSettings settings() {
        return settings;
    }

    /** The followed upstream, or empty while none is healthy. */
    public Optional<UpstreamAddress> current() {
        return tracker.current();
    }

    /** Every upstream's health, in priority order. */
    public List<UpstreamTracker.UpstreamHealth> health() {
        return tracker.health();
    }

    public ReplicaLink link() {
        return link;
    }

    public ReplicaStatus status() {
        return link.status();
    }

    /** True when the link to the followed upstream streams (master_link_status:up). */
    public boolean linkUp() {
        return tracker.current().isPresent() && link.status().linkUp();
    }

    @Override
    public void close() {
        tracker.close();
        link.close();
    }
}
