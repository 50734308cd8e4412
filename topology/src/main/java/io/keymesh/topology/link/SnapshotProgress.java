package io.keymesh.topology.link;

import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.LinkFrame;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of the snapshot merge a link receives: keys and bytes merged, the total the sender
 * announced (its key count when the snapshot began, so an estimate: keys written or deleted during
 * the snapshot move it), the rate since the start and the time left at that rate. Bytes are the
 * keys' payload (name, dumped value and metadata); their total is extrapolated from the bytes per
 * key so far. Thread-safe: the link's driver records, INFO and /metrics read.
 */
public final class SnapshotProgress {
    private final TimeSource time;

    /** Progress measured on {@code time}'s monotonic clock. */
    SnapshotProgress(TimeSource time) {
        this.time = time;
    }

    /** Seconds between two progress lines in the log. */
    static final long LOG_EVERY_NANOS = 5_000_000_000L;

    private volatile boolean running;
    private volatile long totalKeys = -1;
    private volatile long startedNanos;
    private volatile long endedNanos;
    private volatile long lastLoggedNanos;
    private final AtomicLong keys = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    /** A snapshot of about {@code totalKeys} keys (-1: the sender did not say) starts at {@code nowNanos}. */
    void start(long totalKeys, long nowNanos) {
        this.totalKeys = totalKeys;
        keys.set(0);
        bytes.set(0);
        startedNanos = nowNanos;
        lastLoggedNanos = nowNanos;
        running = true;
    }

    /** One key merged. */
    void merged(LinkFrame.SnapshotKey key) {
        long size = key.key().length;
        for (byte[] item : key.items()) {
            size += item.length;
        }
        keys.incrementAndGet();
        bytes.addAndGet(size);
    }

    /** The snapshot ended (merged or the link dropped); its counts stay readable until the next starts. */
    void end() {
        if (running) {
            endedNanos = time.monotonicNanos();
            running = false;
        }
    }

    /** True when a progress line is due at {@code nowNanos} (and marks it logged). */
    boolean logDue(long nowNanos) {
        if (nowNanos - lastLoggedNanos < LOG_EVERY_NANOS) {
            return false;
        }
        lastLoggedNanos = nowNanos;
        return true;
    }

    /** True while a snapshot merge runs on the link. */
    public boolean running() {
        return running;
    }

    /** Keys merged by the running (or last) snapshot. */
    public long keys() {
        return keys.get();
    }

    /** Payload bytes merged by the running (or last) snapshot. */
    public long bytes() {
        return bytes.get();
    }

    /** Keys the sender held when the snapshot began (at least those merged), -1 when unknown. */
    public long totalKeys() {
        long total = totalKeys;
        return total < 0 ? -1 : Math.max(total, keys());
    }

    /** Estimated payload bytes of the whole snapshot (bytes per key so far times the total), -1 when unknown. */
    public long totalBytes() {
        long done = keys();
        long total = totalKeys();
        if (total < 0 || done == 0) {
            return total == 0 ? 0 : -1;
        }
        return Math.max(bytes(), Math.round((double) bytes() / done * total));
    }

    /** Keys merged per second since the snapshot began. */
    public double keysPerSecond(long nowNanos) {
        double seconds = seconds(nowNanos);
        return seconds <= 0 ? 0 : keys() / seconds;
    }

    /** Bytes merged per second since the snapshot began. */
    public double bytesPerSecond(long nowNanos) {
        double seconds = seconds(nowNanos);
        return seconds <= 0 ? 0 : bytes() / seconds;
    }

    /** Seconds the snapshot ran until {@code nowNanos}, or until it ended. */
    private double seconds(long nowNanos) {
        return ((running ? nowNanos : endedNanos) - startedNanos) / 1e9;
    }

    /** Seconds left at the rate so far: 0 when not running or done, -1 when unknown (no total or no rate yet). */
    public long etaSeconds(long nowNanos) {
        if (!running) {
            return 0;
        }
        long total = totalKeys();
        double rate = keysPerSecond(nowNanos);
        if (total < 0 || rate <= 0) {
            return -1;
        }
        return (long) Math.ceil((total - keys()) / rate);
    }

    /** "1200/5000 keys, 96000/400000 bytes, 600 keys/s, eta 7 s" for the log. */
    public String describe(long nowNanos) {
        long eta = etaSeconds(nowNanos);
        return keys() + "/" + unknownAsQuestion(totalKeys()) + " keys, " + bytes() + "/" + unknownAsQuestion(totalBytes())
                + " bytes, " + Math.round(keysPerSecond(nowNanos)) + " keys/s, eta " + (eta < 0 ? "?" : eta + " s");
    }

    private static String unknownAsQuestion(long n) {
        return n < 0 ? "?" : Long.toString(n);
    }
}
