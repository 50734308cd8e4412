package io.keymesh.proxy.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import org.HdrHistogram.Histogram;

import java.util.Map;

/**
 * Exposes keymesh's HdrHistogram latencies as Prometheus histograms at scrape time: command
 * latency per command class and backend call latency, in seconds, with fixed bucket bounds.
 */
final class LatencyCollector implements MultiCollector {
    /** Bucket upper bounds in seconds, 10 µs to 10 s (+Inf added). */
    static final double[] BOUNDS = {
            0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
            0.1, 0.25, 0.5, 1, 2.5, 5, 10, Double.POSITIVE_INFINITY};

    private final CommandLatency latency;

    LatencyCollector(CommandLatency latency) {
        this.latency = latency;
    }

    @Override
    public MetricSnapshots collect() {
        HistogramSnapshot.Builder commands = HistogramSnapshot.builder()
                .name("keymesh_command_latency_seconds").unit(Unit.SECONDS)
                .help("Command latency as clients see it through keymesh, from dispatch to the reply written, by command class");
        for (Map.Entry<String, Histogram> e : latency.byClass().entrySet()) {
            commands.dataPoint(point(e.getValue(), Labels.of("class", e.getKey())));
        }
        HistogramSnapshot backend = HistogramSnapshot.builder()
                .name("keymesh_backend_call_latency_seconds").unit(Unit.SECONDS)
                .help("Backend call latency, from dispatch to the backend's reply arriving")
                .dataPoint(point(latency.backend(), Labels.EMPTY))
                .build();
        return new MetricSnapshots(commands.build(), backend);
    }

    private static HistogramSnapshot.HistogramDataPointSnapshot point(Histogram h, Labels labels) {
        long[] counts = new long[BOUNDS.length];
        long below = 0;
        for (int i = 0; i < BOUNDS.length; i++) {
            long upTo = i == BOUNDS.length - 1 ? h.getTotalCount()
                    : h.getCountBetweenValues(0, (long) (BOUNDS[i] * 1e9));
            counts[i] = upTo - below;
            below = upTo;
        }
        return HistogramSnapshot.HistogramDataPointSnapshot.builder()
                .labels(labels)
                .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS, counts))
                .sum(h.getMean() * h.getTotalCount() / 1e9)        // HdrHistogram's estimate: it keeps no exact sum
                .build();
    }
}
