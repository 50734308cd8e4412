package io.keymesh.topology.health;

import io.keymesh.topology.clock.TimeSource;
import java.util.Objects;

/**
 * A replica's check of an upstream that also looks at the replica's own link from it: a check that
 * got no answer within its timeout passes while that link received bytes during the check.
 *
 * <p>A link that is busy streaming (a snapshot, a write storm) over a slow or saturated path fills
 * the path's queues, and a check's PING and ROLE, on a connection of their own across the same path,
 * wait behind those bytes past any sensible timeout. Failing such checks would mark an upstream down
 * that is demonstrably alive and sending: the replica would drop the link and start its resync
 * again, on this upstream or another over the same path, for ever. So, as with {@code -BUSY}
 * ({@link RespHealthProbe}), the check counts as passed and says why. An upstream whose link is silent
 * as well (stopped, cut, partitioned: even an idle link carries a heartbeat every second) fails as
 * before, as does any check the upstream answered wrongly or refused.
 */
public final class StreamingLinkProbe implements HealthProbe {
    /** What the replica's link from an upstream received lately. */
    @FunctionalInterface
    public interface LinkReads {
        /** Whether the link from {@code upstream} received bytes at or after {@code sinceNanos} (monotonic). */
        boolean readSince(UpstreamAddress upstream, long sinceNanos);
    }

    private final HealthProbe probe;
    private final LinkReads reads;
    private final TimeSource time;

    /** Runs {@code probe}, and passes its timed-out checks of an upstream whose link {@code reads} says is streaming. */
    public StreamingLinkProbe(HealthProbe probe, LinkReads reads, TimeSource time) {
        this.probe = Objects.requireNonNull(probe, "probe");
        this.reads = Objects.requireNonNull(reads, "reads");
        this.time = Objects.requireNonNull(time, "time");
    }

    @Override
    public ProbeResult probe(UpstreamAddress upstream) {
        long started = time.monotonicNanos();
        ProbeResult r = probe.probe(upstream);
        if (r.timedOut() && reads.readSince(upstream, started)) {
            return ProbeResult.pass(r.detail() + ", but the link from it streams (up all the same)");
        }
        return r;
    }
}
