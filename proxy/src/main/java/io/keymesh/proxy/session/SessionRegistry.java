package io.keymesh.proxy.session;

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
    private final Monitors monitors = new Monitors();
    private final ClientPause pause = new ClientPause();
    private final io.keymesh.proxy.metrics.CommandLatency latency;
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LongAdder authFailures = new LongAdder();

    /** A registry whose latency classes say "write" for writes (no replication). */
    public SessionRegistry() {
        this(new io.keymesh.proxy.metrics.CommandLatency(io.keymesh.proxy.metrics.CommandLatency.byRouting(false)));
    }

    public SessionRegistry(io.keymesh.proxy.metrics.CommandLatency latency) {
        this.latency = latency;
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
