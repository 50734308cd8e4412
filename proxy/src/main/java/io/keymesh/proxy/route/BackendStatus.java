package io.keymesh.proxy.route;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Whether the backend Redis can serve right now, as the supervisor last reported it, plus what the
 * startup check learned about it. Read on every forwarded request, written rarely. {@link #databases()}
 * is the number of databases clients may use: with replication on, the backend has more (metadata, log).
 */
public final class BackendStatus {
    private volatile boolean up;
    private volatile String downReason = "starting";
    private volatile String version = "unknown";
    private volatile int databases = 16;
    private final AtomicLong restarts = new AtomicLong();

    public boolean up() {
        return up;
    }

    public String downReason() {
        return downReason;
    }

    /** The backend serves again; {@code databases} is what clients may SELECT (0 .. databases-1). */
    public void markUp(String version, int databases) {
        this.version = version;
        this.databases = databases;
        this.up = true;
    }

    public void markDown(String reason) {
        this.downReason = reason;
        this.up = false;
        restarts.incrementAndGet();
    }

    public String version() {
        return version;
    }

    public int databases() {
        return databases;
    }

    public long restarts() {
        return restarts.get();
    }

    /** The error clients get while the backend cannot serve. */
    public String unavailableError() {
        return "ERR keymesh: backend redis-server is unavailable (" + downReason + "); retry shortly";
    }
}
