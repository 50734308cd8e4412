package io.keymesh.topology.tls;

import io.keymesh.topology.clock.TimeSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * TLS handshakes this node refused in one direction: counted for INFO and /metrics, and logged at
 * most once per peer per minute (with how many more came from it since), never once per attempt.
 */
public final class TlsRefusals {
    private static final Logger log = LoggerFactory.getLogger(TlsRefusals.class);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** Peers remembered for rate limiting; past this the memory starts over (a scan from many addresses). */
    private static final int PEERS_MAX = 4096;

    private final String direction;
    private final TimeSource time;
    private final AtomicLong count = new AtomicLong();
    private final Map<String, Peer> peers = new ConcurrentHashMap<>();

    private static final class Peer {
        boolean logged;
        long loggedNanos;
        long unlogged;
    }

    /** {@code direction} says what was refused, for the log ("TLS client", "TLS server"). */
    public TlsRefusals(String direction) {
        this(direction, TimeSource.system());
    }

    /** The same, timing its log interval on {@code time}. */
    public TlsRefusals(String direction, TimeSource time) {
        this.time = time;
        this.direction = direction;
    }

    /**
     * Counts one refused handshake with {@code peer} (an address) and logs it unless that peer was
     * logged within a minute; returns whether it was logged.
     */
    public boolean refused(String peer, String reason) {
        count.incrementAndGet();
        if (peers.size() >= PEERS_MAX) {
            peers.clear();
        }
        Peer p = peers.computeIfAbsent(peer, k -> new Peer());
        long now = time.monotonicNanos();
        long more;
        synchronized (p) {
            if (p.logged && now - p.loggedNanos < LOG_INTERVAL_NANOS) {
                p.unlogged++;
                return false;
            }
            more = p.unlogged;
            p.logged = true;
            p.loggedNanos = now;
            p.unlogged = 0;
        }
        log.warn("{} {} refused: TLS handshake failed: {}{}", direction, peer, reason,
                more > 0 ? " (" + more + " more refusals of it in the last minute)" : "");
        return true;
    }

    /** Refused handshakes since start. */
    public long count() {
        return count.get();
    }
}
