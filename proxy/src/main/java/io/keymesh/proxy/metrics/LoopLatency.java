package io.keymesh.proxy.metrics;

import io.keymesh.proxy.command.CommandSpec;
import org.HdrHistogram.SingleWriterRecorder;

import java.util.IdentityHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One event loop's latency recorders: written by that loop alone (a lookup by identity and an
 * HdrHistogram record, no lock), read by {@link CommandLatency} from any thread through the
 * recorders' interval histograms.
 */
public final class LoopLatency {
    /** A command's recorder on this loop, with what it is reported as. */
    record Entry(String command, String commandClass, SingleWriterRecorder recorder) {
    }

    private final IdentityHashMap<CommandSpec, SingleWriterRecorder> byCommand = new IdentityHashMap<>();
    private final CommandLatency.Classifier classifier;
    final CopyOnWriteArrayList<Entry> entries = new CopyOnWriteArrayList<>();   // what readers drain
    final SingleWriterRecorder backend = CommandLatency.newRecorder();

    LoopLatency(CommandLatency.Classifier classifier) {
        this.classifier = classifier;
    }

    /** Records one command's latency, from dispatch to its reply written; on this loop only. */
    public void record(CommandSpec command, long nanos) {
        SingleWriterRecorder r = byCommand.get(command);
        if (r == null) {
            r = CommandLatency.newRecorder();
            byCommand.put(command, r);
            entries.add(new Entry(command.name().toLowerCase(java.util.Locale.ROOT), classifier.classOf(command), r));
        }
        r.recordValue(CommandLatency.clamp(nanos));
    }

    /** Records one backend call's latency, from dispatch to the backend's reply; on this loop only. */
    public void recordBackend(long nanos) {
        backend.recordValue(CommandLatency.clamp(nanos));
    }
}
