package io.keymesh.topology.health;

import io.keymesh.topology.clock.TimeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the health checks of a replica's upstreams: one {@link HealthCheck} and one daemon thread per
 * upstream, each running its probe when the check says it is due. State changes go to the listener.
 * {@link #close()} stops and joins the threads.
 */
public final class HealthMonitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);
    private static final long JOIN_MILLIS = 5_000;

    private final Map<UpstreamAddress, HealthCheck> checks = new LinkedHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private final HealthProbe probe;
    private volatile boolean closed;

    /** Checks for each of {@code upstreams}; nothing runs until {@link #start()}. */
    public HealthMonitor(List<UpstreamAddress> upstreams, HealthCheckSettings settings, HealthProbe probe,
            TimeSource time, HealthListener listener) {
        Objects.requireNonNull(settings, "settings");
        this.probe = Objects.requireNonNull(probe, "probe");
        for (UpstreamAddress u : upstreams) {
            if (checks.putIfAbsent(u, new HealthCheck(u, settings, time, listener)) != null) {
                throw new IllegalArgumentException("upstream " + u + " is listed twice");
            }
        }
    }

    /** Starts one checking thread per upstream; the first checks run at once. */
    public synchronized void start() {
        if (!threads.isEmpty() || closed) {
            throw new IllegalStateException("health monitor already started or closed");
        }
        for (HealthCheck check : checks.values()) {
            Thread t = new Thread(() -> run(check), "keymesh-health-" + check.upstream());
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
    }

    /** The check of each upstream, in the configured order (for INFO). */
    public Map<UpstreamAddress, HealthCheck> checks() {
        return Collections.unmodifiableMap(checks);
    }

    private void run(HealthCheck check) {
        try {
            while (!closed) {
                if (check.onTick()) {
                    HealthProbe.ProbeResult r = probe.probe(check.upstream());
                    if (closed) {
                        return;
                    }
                    if (r.passed()) {
                        check.onCheckPassed(r.detail());
                    } else {
                        check.onCheckFailed(r.detail());
                    }
                    continue;
                }
                long waitNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1), check.nanosUntilNextEvent());
                TimeUnit.NANOSECONDS.sleep(waitNanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("health checks of {} stopped by an unexpected error", check.upstream(), e);
        }
    }

    /** Stops the checking threads and waits for them (a probe in progress ends within its timeout). */
    @Override
    public void close() {
        List<Thread> toJoin;
        synchronized (this) {
            closed = true;
            toJoin = new ArrayList<>(threads);
        }
        toJoin.forEach(Thread::interrupt);
        for (Thread t : toJoin) {
            try {
                t.join(JOIN_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
