package io.keymesh.topology.link;

import io.keymesh.topology.wire.BatchCutter;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a sender stands in one origin's log, with no I/O: reads sized by bytes (the entry count of
 * the next read follows the average entry size seen so far, so one read returns about
 * {@code 2 * batchBytesMax} bytes whether values are 10 bytes or 10 KiB), every entry read once
 * (what a read returned beyond one batch waits here), and batches cut by {@link BatchCutter} so a
 * transaction always travels whole, even one larger than a read.
 */
final class LogCursor {
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

    LogCursor(String origin, long after, LinkSettings settings) {
        this.origin = origin;
        this.sent = after;
        this.read = after;
        this.cutter = new BatchCutter(settings.batchEntriesMax(), settings.batchBytesMax());
        this.readBytesTarget = 2 * settings.batchBytesMax();
    }

    String origin() {
        return origin;
    }

    /** The last sequence handed out in a batch. */
    long sent() {
        return sent;
    }

    /** The last sequence read (entries after {@link #sent} up to it wait here). */
    long read() {
        return read;
    }

    /** Entries read but not sent yet. */
    int pendingEntries() {
        return pending.size();
    }

    /** Whether the last read found the end of the log. */
    boolean atEnd() {
        return atEnd;
    }

    /** Entries to ask for in the next read: about the read target in bytes at the sizes seen so far. */
    int readCount() {
        if (entryBytes == 0) {
            return READ_ENTRIES_FIRST;
        }
        long count = Math.round(readBytesTarget / entryBytes);
        return (int) Math.max(1, Math.min(READ_ENTRIES_MAX, count));
    }

    /**
     * Takes the entries a read after {@link #read} returned (asked with {@code count}); false when
     * they do not follow on (the log lost entries this cursor has not read: a gap).
     */
    boolean onRead(List<LogEntry> run, int count) {
        if (run.isEmpty()) {
            atEnd = true;
            return true;
        }
        if (!LogSpan.follows(run.get(0).seq(), read)) {
            return false;
        }
        long bytes = 0;
        for (LogEntry e : run) {
            bytes += e.sizeBytes();
        }
        double average = (double) bytes / run.size();
        entryBytes = entryBytes == 0 ? average : (entryBytes + average) / 2;
        pending.addAll(run);
        read = run.get(run.size() - 1).seq();
        atEnd = run.size() < count;
        return true;
    }

    /** The next batch to send from what was read, or null when a read must come first. */
    LinkFrame.Batch nextBatch() {
        int n = pending.isEmpty() ? 0 : cutter.cut(pending, atEnd);
        if (n == 0) {
            return null;
        }
        List<LogEntry> out = new ArrayList<>(pending.subList(0, n));
        pending.subList(0, n).clear();
        sent = out.get(out.size() - 1).seq();
        return new LinkFrame.Batch(origin, out);
    }

    /** Drops what waits and stands at {@code after} (the receiver got this far by another way). */
    void restartAt(long after) {
        pending.clear();
        sent = after;
        read = after;
        atEnd = false;
    }
}
