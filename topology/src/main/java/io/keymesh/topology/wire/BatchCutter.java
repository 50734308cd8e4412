package io.keymesh.topology.wire;

import java.util.List;

/**
 * Decides how many of a run of log entries go into one batch: at most {@code entriesMax} entries
 * and about {@code bytesMax} bytes, but never a part of a transaction (consecutive entries sharing
 * a non-zero txn id). A transaction larger than the bounds travels whole in a batch of its own.
 * When the run ends inside a transaction that may continue in entries not read yet, the batch
 * stops before it, unless it is all there is ({@code runComplete}).
 */
public final class BatchCutter {
    private final int entriesMax;
    private final int bytesMax;

    public BatchCutter(int entriesMax, int bytesMax) {
        if (entriesMax < 1 || bytesMax < 1) {
            throw new IllegalArgumentException("batch bounds must be positive");
        }
        this.entriesMax = entriesMax;
        this.bytesMax = bytesMax;
    }

    /**
     * The number of leading entries of {@code run} to send now (0: wait for more entries).
     *
     * @param runComplete true when no entry follows {@code run} in the log yet, so a transaction
     *                    at its end is cut off only if later entries of it are still to be written
     */
    public int cut(List<LogEntry> run, boolean runComplete) {
        int n = 0;
        int bytes = 0;
        int i = 0;
        while (i < run.size()) {
            int groupEnd = groupEnd(run, i);
            if (groupEnd == run.size() && !runComplete && !"0".equals(run.get(i).txn())) {
                break;                               // the transaction may continue beyond what was read
            }
            int groupBytes = 0;
            for (int k = i; k < groupEnd; k++) {
                groupBytes += run.get(k).sizeBytes();
            }
            if (n > 0 && (n + (groupEnd - i) > entriesMax || bytes + groupBytes > bytesMax)) {
                break;
            }
            n += groupEnd - i;
            bytes += groupBytes;
            i = groupEnd;
            if (n >= entriesMax || bytes >= bytesMax) {
                break;
            }
        }
        return n;
    }

    /** Index after the group starting at {@code from}: one entry, or all consecutive entries of its txn. */
    static int groupEnd(List<LogEntry> run, int from) {
        String txn = run.get(from).txn();
        int end = from + 1;
        if (!"0".equals(txn)) {
            while (end < run.size() && txn.equals(run.get(end).txn())) {
                end++;
            }
        }
        return end;
    }
}
