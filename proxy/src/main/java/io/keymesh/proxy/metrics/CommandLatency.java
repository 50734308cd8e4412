package io.keymesh.proxy.metrics;

import io.keymesh.proxy.command.CommandClass;
import io.keymesh.proxy.command.CommandSpec;
import io.keymesh.proxy.command.Handling;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Command latency as clients see it through keymesh, per command and per command class, and the
 * latency of backend calls, in nanoseconds. Each event loop records into its own {@link LoopLatency};
 * readers (INFO latencystats, LATENCY HISTOGRAM, /metrics) merge the loops' interval histograms into
 * cumulative ones under this object's lock, which the event loops never take.
 */
public final class CommandLatency {
    /** Latencies above this (one hour) are recorded as this. */
    static final long HIGHEST_NANOS = TimeUnit.HOURS.toNanos(1);
    /** Redis' histograms keep 2 significant digits; so do keymesh's. */
    static final int SIGNIFICANT_DIGITS = 2;

    /** The class a command is reported under in /metrics. */
    @FunctionalInterface
    public interface Classifier {
        String classOf(CommandSpec command);
    }

    private final Classifier classifier;
    private final ConcurrentHashMap<Thread, LoopLatency> loops = new ConcurrentHashMap<>();
    private final Map<String, Histogram> totals = new TreeMap<>();          // guarded by this
    private final Map<String, String> classes = new TreeMap<>();            // command -> class, guarded by this
    private final Histogram backendTotal = newHistogram();                  // guarded by this
    private final Map<SingleWriterRecorder, Histogram> spare = new java.util.IdentityHashMap<>();   // recycled interval histograms

    public CommandLatency(Classifier classifier) {
        this.classifier = classifier;
    }

    /** Classes by what routing does with a command: local, blocking, read, write or replicated_write, other. */
    public static Classifier byRouting(boolean replicating) {
        return spec -> {
            if (spec.handling() == Handling.LOCAL) {
                return "local";
            }
            if (spec.kind() == CommandClass.BLOCKING) {
                return "blocking";
            }
            if (spec.kind() == CommandClass.READ) {
                return "read";
            }
            if (spec.kind() == CommandClass.WRITE) {
                return replicating ? "replicated_write" : "write";
            }
            return "other";
        };
    }

    /** The calling event loop's recorders (created on its first call). */
    public LoopLatency forCurrentLoop() {
        return loops.computeIfAbsent(Thread.currentThread(), t -> new LoopLatency(classifier));
    }

    /** Cumulative histograms per command (lower-case Redis name, subcommands as "client|list"), copies. */
    public synchronized Map<String, Histogram> byCommand() {
        drain();
        Map<String, Histogram> out = new LinkedHashMap<>();
        totals.forEach((name, h) -> out.put(name, h.copy()));
        return out;
    }

    /** Cumulative histograms per command class, merged from the commands'. */
    public synchronized Map<String, Histogram> byClass() {
        drain();
        Map<String, Histogram> out = new TreeMap<>();
        totals.forEach((name, h) -> out.computeIfAbsent(classes.get(name), c -> newHistogram()).add(h));
        return out;
    }

    /** Cumulative histogram of backend calls, a copy. */
    public synchronized Histogram backend() {
        drain();
        return backendTotal.copy();
    }

    private void drain() {
        for (LoopLatency loop : loops.values()) {
            for (LoopLatency.Entry e : loop.entries) {
                totals.computeIfAbsent(e.command(), n -> newHistogram()).add(interval(e.recorder()));
                classes.put(e.command(), e.commandClass());
            }
            backendTotal.add(interval(loop.backend));
        }
    }

    private Histogram interval(SingleWriterRecorder recorder) {
        Histogram h = recorder.getIntervalHistogram(spare.get(recorder));
        spare.put(recorder, h);
        return h;
    }

    static SingleWriterRecorder newRecorder() {
        return new SingleWriterRecorder(1, HIGHEST_NANOS, SIGNIFICANT_DIGITS);
    }

    static Histogram newHistogram() {
        return new Histogram(1, HIGHEST_NANOS, SIGNIFICANT_DIGITS);
    }

    static long clamp(long nanos) {
        return nanos < 1 ? 1 : Math.min(nanos, HIGHEST_NANOS);
    }
}
