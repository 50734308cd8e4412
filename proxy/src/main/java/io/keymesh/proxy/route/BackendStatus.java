package io.keymesh.proxy.route;

import io.keymesh.storage.backend.MemoryUse;

import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Whether the backend Redis can serve right now, as the supervisor last reported it, plus what the
 * startup check learned about it. Read on every forwarded request, written rarely. {@link #databases()}
 * is the number of databases clients may use: with replication on, the backend has more (metadata, log).
 * {@link #memory()} is the last reading of {@link MemoryGuard}, {@link #deniedOnOom} Redis' denyoom flags.
 */
public final class BackendStatus {
    private volatile boolean up;
    private volatile String downReason = "starting";
    private volatile String version = "unknown";
    private volatile int databases = 16;
    private final AtomicLong restarts = new AtomicLong();
    private volatile MemoryUse memory = MemoryUse.unmeasured(0);
    private volatile Set<String> denyOom = Set.of();

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

    /** The backend's memory as keymesh.maxmemory last measured it. */
    public MemoryUse memory() {
        return memory;
    }

    /** A new reading of the backend's memory. */
    public void memory(MemoryUse reading) {
        this.memory = reading;
    }

    /** The commands and subcommands ("SET", "CONFIG|SET") Redis flags denyoom, as the backend's COMMAND lists them. */
    public void denyOom(Set<String> names) {
        this.denyOom = Set.copyOf(names);
    }

    /** True when Redis refuses the command (a command table row name) while memory is over the limit. */
    public boolean deniedOnOom(String name) {
        return denyOom.contains(name);
    }

    /** The error clients get while the backend cannot serve. */
    public String unavailableError() {
        return "ERR keymesh: backend redis-server is unavailable (" + downReason + "); retry shortly";
    }
}
