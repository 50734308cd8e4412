package io.keymesh.topology.failover;

import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.health.HealthCheck;
import io.keymesh.topology.health.HealthMonitor;
import io.keymesh.topology.health.HealthProbe;
import io.keymesh.topology.health.RespHealthProbe;
import io.keymesh.topology.health.StreamingLinkProbe;
import io.keymesh.topology.health.UpstreamAddress;
import io.keymesh.topology.link.LinkSockets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A replica's view of its upstream primaries: health checks of every upstream feeding a
 * {@link PrimarySelector}. The replica's link follows {@link #current()} and reconnects when a
 * {@link SelectionListener} reports a switch. {@link #close()} stops the checks.
 */
public final class UpstreamTracker implements AutoCloseable {
    private final PrimarySelector selector;
    private final HealthMonitor monitor;

    /** Tracks the upstreams of {@code settings} with {@code probe}; nothing runs until {@link #start()}. */
    public UpstreamTracker(ReplicaSettings settings, HealthProbe probe, TimeSource time) {
        Objects.requireNonNull(settings, "settings");
        this.selector = new PrimarySelector(settings.upstreams(), settings.preferFirst());
        this.monitor = new HealthMonitor(settings.upstreams(), settings.health(), probe, time, selector);
    }

    /**
     * Tracks the upstreams of {@code settings} with the PING + ROLE check, connecting with
     * {@code sockets} (TLS with keymesh.tls.replication) and authenticating as
     * {@code username}/{@code password} when a password is given (either may be null); a check that
     * times out passes while the replica's link from that upstream streams ({@code reads},
     * {@link StreamingLinkProbe}).
     */
    public static UpstreamTracker withRespChecks(ReplicaSettings settings, String username, String password,
                                                 LinkSockets sockets, StreamingLinkProbe.LinkReads reads,
                                                 TimeSource time) {
        HealthProbe checks = new RespHealthProbe(settings.health().timeout(), username, password, sockets, time);
        return new UpstreamTracker(settings, new StreamingLinkProbe(checks, reads, time), time);
    }

    /** Adds a listener for switches of the followed upstream; add listeners before {@link #start()}. */
    public void addListener(SelectionListener listener) {
        selector.addListener(listener);
    }

    /** Starts checking every upstream (the first checks run at once). */
    public void start() {
        monitor.start();
    }

    /** The upstream to follow now, or empty while none is healthy. */
    public Optional<UpstreamAddress> current() {
        return selector.current();
    }

    /** Each upstream's health, in priority order, for INFO. */
    public List<UpstreamHealth> health() {
        List<UpstreamHealth> out = new ArrayList<>();
        for (HealthCheck c : monitor.checks().values()) {
            out.add(new UpstreamHealth(c.upstream(), c.state().name().toLowerCase(Locale.ROOT),
                    c.lastResult()));
        }
        return out;
    }

    /**
     * One upstream's health for INFO.
     *
     * @param upstream its address
     * @param state unchecked, up, going_down, down or going_up
     * @param lastCheck what its last check saw
     */
    public record UpstreamHealth(UpstreamAddress upstream, String state, String lastCheck) {
    }

    @Override
    public void close() {
        monitor.close();
    }
}
