package io.keymesh.proxy.session;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Every connected client session of the node, for CLIENT LIST/KILL and INFO clients, its monitors and CLIENT PAUSE. */
public final class SessionRegistry {
    private final ConcurrentHashMap<Long, ClientSession> sessions = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private final AtomicLong totalConnections = new AtomicLong();
    private final AtomicLong totalCommands = new AtomicLong();
    private final AtomicLong rejectedConnections = new AtomicLong();
    private final Monitors monitors = new Monitors();
    private final ClientPause pause = new ClientPause();

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
