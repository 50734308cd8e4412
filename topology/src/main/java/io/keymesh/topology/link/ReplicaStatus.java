package io.keymesh.topology.link;

import io.keymesh.topology.clock.TimeSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What INFO shows of a replica's link to its current upstream (the receiving side): what every
 * pulling link shows ({@link PullerStatus}), the upstream's address, the position vector, the
 * upstream's head (the sum of its origins' heads) and the switches of upstream. Thread-safe.
 */
public final class ReplicaStatus extends PullerStatus {
    private volatile String upstream = "";
    private volatile long upstreamHead;
    private final Map<String, Long> positions = new ConcurrentHashMap<>();
    final AtomicLong switches = new AtomicLong();

    /** A replica link's status, timed by {@code time}. */
    public ReplicaStatus(TimeSource time) {
        super("replica link", time);
    }

    /** "host:port" of the upstream linked or being linked, empty when none is selected. */
    public String upstream() {
        return upstream;
    }

    void upstream(String address) {
        upstream = address;
    }

    /** True while the link streams (Redis' master_link_status:up). */
    public boolean linkUp() {
        return state().equals("streaming");
    }

    /** The link no longer streams (the upstream to follow changed): it reconnects. */
    void linkDown() {
        state("connecting");
    }

    /** Wall millis when the upstream was last heard from (0: never). */
    public long lastIoMillis() {
        return lastHeardMillis();
    }

    /** The applied position vector (origin -> seq). */
    public Map<String, Long> positions() {
        return Map.copyOf(positions);
    }

    /** Sum of the position vector: grows with every applied entry (INFO's slave_repl_offset). */
    public long offset() {
        long total = 0;
        for (long v : positions.values()) {
            total += v;
        }
        return total;
    }

    @Override
    public long lagOps() {
        return Math.max(0, upstreamHead - offset());
    }

    /** Times the followed upstream changed. */
    public long switches() {
        return switches.get();
    }

    @Override
    void connectingTo(String target) {
        upstream(target);
    }

    @Override
    void position(String origin, long seq) {
        positions.merge(origin, seq, Math::max);
    }

    @Override
    void head(long head) {
        upstreamHead = head;
    }
}
