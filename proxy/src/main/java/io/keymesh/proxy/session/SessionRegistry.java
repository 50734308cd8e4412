package io.keymesh.proxy.session;

import io.keymesh.storage.time.TimeSource;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Every connected client session of the node, for CLIENT LIST/KILL and INFO clients, its monitors and CLIENT PAUSE. */
public final class SessionRegistry {
    private final ConcurrentHashMap<Long, ClientSession> sessions = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private final AtomicLong totalConnections = new AtomicLong();
    private final AtomicLong totalCommands = new AtomicLong();
    private final AtomicLong rejectedConnections = new AtomicLong();
    private final TimeSource time;
    private final Monitors monitors;
    private final ClientPause pause;
    private final io.keymesh.proxy.metrics.CommandLatency latency;
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LongAdder authFailures = new LongAdder();

    /** A registry whose latency classes say "write" for writes (no replication). */
    public SessionRegistry() {
        this(new io.keymesh.proxy.metrics.CommandLatency(io.keymesh.proxy.metrics.CommandLatency.byRouting(false)));
    }

    /** A registry on the machine's clocks. */
    public SessionRegistry(io.keymesh.proxy.metrics.CommandLatency latency) {
        this(latency, TimeSource.system());
    }

    /** A registry whose sessions read {@code time} (CLIENT LIST ages, CLIENT PAUSE, MONITOR lines, latency). */
    public SessionRegistry(io.keymesh.proxy.metrics.CommandLatency latency, TimeSource time) {
        this.latency = latency;
        this.time = time;
        this.monitors = new Monitors(time);
        this.pause = new ClientPause(time);
    }

    /** The node's time source. */
    public TimeSource time() {
        return time;
    }

    /** Command latency as the node's clients see it (INFO latencystats, LATENCY HISTOGRAM, /metrics). */
    public io.keymesh.proxy.metrics.CommandLatency latency() {
        return latency;
    }

    /** Bytes read from client connections (requests). */
    public LongAdder bytesIn() {
        return bytesIn;
    }

    /** Bytes written to client connections (replies, pushes). */
    public LongAdder bytesOut() {
        return bytesOut;
    }

    /** AUTH and HELLO ... AUTH attempts refused with WRONGPASS. */
    public LongAdder authFailures() {
        return authFailures;
    }

    /** The MONITOR sessions. */
    public Monitors monitors() {
        return monitors;
    }

    /** CLIENT PAUSE state. */
    public ClientPause pause() {
        return pause;
    }

    long nextId() {
        totalConnections.incrementAndGet();
        return nextId.getAndIncrement();
    }

    void add(ClientSession session) {
        sessions.put(session.id(), session);
    }

    void remove(ClientSession session) {
        sessions.remove(session.id());
        monitors.remove(session);
    }

    public Collection<ClientSession> all() {
        return sessions.values();
    }

    public ClientSession get(long id) {
        return sessions.get(id);
    }

    public int size() {
        return sessions.size();
    }

    public long totalConnections() {
        return totalConnections.get();
    }

    /** Commands processed since start; sessions add their counts when they close and on INFO. */
    public AtomicLong totalCommands() {
        return totalCommands;
    }

    public AtomicLong rejectedConnections() {
        return rejectedConnections;
    }
}
