package io.keymesh.topology.link;

import io.keymesh.topology.wire.BatchCutter;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One origin's log as a sender reads it, for peers and replicas alike: reads sized by bytes (the
 * entry count of the next read follows the average entry size seen so far, so one read returns
 * about {@link #readBytesTarget} bytes whether values are 10 bytes or 10 KiB), every entry read
 * once (what a read returned beyond one batch waits here for the next), and batches cut by
 * {@link BatchCutter} so that a transaction always travels whole, even one larger than a read.
 * Not thread-safe: one sending thread owns it.
 */
final class LogReader {
    /** Entries of one read at most, whatever their size. */
    static final int READ_ENTRIES_MAX = 8192;
    private static final int READ_ENTRIES_FIRST = 64;

    private final String origin;
    private final BatchCutter cutter;
    private final int readBytesTarget;
    private final List<LogEntry> pending = new ArrayList<>();
    private long sent;              // the last sequence handed out in a batch
    private long read;              // the last sequence read (>= sent)
    private boolean atEnd;          // the last read reached the end of the log
    private double entryBytes;      // moving average of entry sizes, 0 before the first read
    private long entriesRead;

    /** Reads {@code origin}'s log after {@code after}, in batches within {@code settings}' bounds. */
    LogReader(String origin, long after, LinkSettings settings) {
        this.origin = origin;
        this.sent = after;
        this.read = after;
        this.cutter = new BatchCutter(settings.batchEntriesMax(), settings.batchBytesMax());
        this.readBytesTarget = 2 * settings.batchBytesMax();
    }

    String origin() {
        return origin;
    }

    /** The last sequence handed out in a batch (where the link stands). */
    long sent() {
        return sent;
    }

    /** The last sequence read from the log (entries after {@link #sent} up to it wait here). */
    long read() {
        return read;
    }

    /** Entries read from the log so far (each once). */
    long entriesRead() {
        return entriesRead;
    }

    /**
     * The next batch, or null when none is ready: nothing new in the log (after waiting up to
     * {@code blockMillis} for it when positive and nothing read is waiting; 0: no wait), or a
     * transaction whose end is still being read (the next call reads on).
     *
     * @throws LogGapException when the log no longer holds the entry after the last one read
     */
    LinkFrame.Batch next(LogStore store, long blockMillis) throws IOException {
        int n = pending.isEmpty() ? 0 : cutter.cut(pending, atEnd);
        if (n == 0) {
            readMore(store, pending.isEmpty() ? blockMillis : 0);
            n = pending.isEmpty() ? 0 : cutter.cut(pending, atEnd);
            if (n == 0) {
                return null;
            }
        }
        List<LogEntry> out = new ArrayList<>(pending.subList(0, n));
        pending.subList(0, n).clear();
        sent = out.get(out.size() - 1).seq();
        return new LinkFrame.Batch(origin, out);
    }

    /** Entries read but not yet sent (a bound on the memory this reader holds). */
    int pendingEntries() {
        return pending.size();
    }

    private void readMore(LogStore store, long blockMillis) throws IOException {
        int count = readCount();
        List<LogEntry> run = blockMillis > 0 ? store.await(origin, read, count, blockMillis)
                : store.range(origin, read, count);
        if (run.isEmpty()) {
            atEnd = true;
            return;
        }
        long first = run.get(0).seq();
        if (first != read + 1) {
            throw new LogGapException(origin, read + 1, first);
        }
        long bytes = 0;
        for (LogEntry e : run) {
            bytes += e.sizeBytes();
        }
        double average = (double) bytes / run.size();
        entryBytes = entryBytes == 0 ? average : (entryBytes + average) / 2;
        pending.addAll(run);
        entriesRead += run.size();
        read = run.get(run.size() - 1).seq();
        atEnd = run.size() < count;
    }

    /** Entries for the next read: about {@link #readBytesTarget} bytes at the sizes seen so far. */
    private int readCount() {
        if (entryBytes == 0) {
            return READ_ENTRIES_FIRST;
        }
        long count = Math.round(readBytesTarget / entryBytes);
        return (int) Math.max(1, Math.min(READ_ENTRIES_MAX, count));
    }

    /** The log no longer holds an entry a link has not sent yet: the receiver must resync by snapshot. */
    static final class LogGapException extends IOException {
        LogGapException(String origin, long wanted, long first) {
            super("log of " + origin + " no longer holds " + wanted + " (first " + first + ")");
        }
    }
}
