package io.keymesh.proxy.metrics;

import io.keymesh.proxy.resp.Replies;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * keymesh's command histograms in Redis' shapes: INFO latencystats lines
 * ({@code latency_percentiles_usec_get:p50=1.003,p99=2.007,p99.9=3.007}) and the LATENCY HISTOGRAM
 * reply (per command its calls and cumulative counts in power-of-two microsecond buckets).
 */
public final class LatencyReport {
    /** Redis' default latency-tracking-info-percentiles. */
    public static final List<Double> DEFAULT_PERCENTILES = List.of(50.0, 99.0, 99.9);

    private LatencyReport() {
    }

    /** The "latency_percentiles_usec_..." lines (no section header), one per command with calls. */
    public static String infoLines(Map<String, Histogram> byCommand, List<Double> percentiles) {
        StringBuilder out = new StringBuilder();
        byCommand.forEach((command, h) -> {
            if (h.getTotalCount() > 0) {
                out.append(infoLine(command, h, percentiles)).append("\r\n");
            }
        });
        return out.toString();
    }

    /** One command's line: each percentile's value in microseconds with three decimals, as Redis prints it. */
    static String infoLine(String command, Histogram h, List<Double> percentiles) {
        StringBuilder out = new StringBuilder("latency_percentiles_usec_").append(command).append(':');
        for (int i = 0; i < percentiles.size(); i++) {
            double p = percentiles.get(i);
            out.append(i == 0 ? "" : ",").append('p').append(percentileLabel(p)).append('=')
                    .append(String.format(Locale.ROOT, "%.3f", h.getValueAtPercentile(p) / 1000.0));
        }
        return out.toString();
    }

    /** A percentile as Redis names it: 50 -> "50", 99.9 -> "99.9", 99.99 -> "99.99". */
    static String percentileLabel(double p) {
        return BigDecimal.valueOf(p).stripTrailingZeros().toPlainString();
    }

    /**
     * The percentiles an INFO latencystats section of redis-server uses, read from its lines
     * ({@code latency_percentiles_usec_x:p50=..,p99=..}); the defaults when it has none.
     */
    public static List<Double> percentilesOf(String backendSection) {
        for (String line : backendSection.split("\r\n")) {
            int colon = line.indexOf(':');
            if (!line.startsWith("latency_percentiles_usec_") || colon < 0) {
                continue;
            }
            List<Double> out = new ArrayList<>();
            for (String field : line.substring(colon + 1).split(",")) {
                int eq = field.indexOf('=');
                if (field.startsWith("p") && eq > 1) {
                    try {
                        out.add(Double.parseDouble(field.substring(1, eq)));
                    } catch (NumberFormatException e) {
                        return DEFAULT_PERCENTILES;
                    }
                }
            }
            return out.isEmpty() ? DEFAULT_PERCENTILES : out;
        }
        return DEFAULT_PERCENTILES;
    }

    /**
     * The histograms LATENCY HISTOGRAM reports: every command with calls when {@code names} is empty,
     * else those named (case-insensitively; a container name such as "client" names its subcommands)
     * that have calls. Unknown names are left out, as Redis does.
     */
    public static Map<String, Histogram> select(Map<String, Histogram> byCommand, List<String> names) {
        Map<String, Histogram> out = new LinkedHashMap<>();
        if (names.isEmpty()) {
            byCommand.forEach((c, h) -> {
                if (h.getTotalCount() > 0) {
                    out.put(c, h);
                }
            });
            return out;
        }
        for (String raw : names) {
            String name = raw.toLowerCase(Locale.ROOT);
            byCommand.forEach((c, h) -> {
                if (h.getTotalCount() > 0 && (c.equals(name) || c.startsWith(name + "|"))) {
                    out.put(c, h);
                }
            });
        }
        return out;
    }

    /**
     * LATENCY HISTOGRAM's reply: a map of command name to {calls, histogram_usec}, where
     * histogram_usec maps each power-of-two bucket's upper bound in microseconds (from 1) to the
     * cumulative count of calls up to it, listing only buckets where that count grows.
     */
    public static ByteBuf histogramReply(ByteBufAllocator alloc, int protocol, Map<String, Histogram> selected) {
        Replies.Writer w = new Replies.Writer(alloc, protocol);
        w.map(selected.size());
        selected.forEach((command, h) -> {
            List<long[]> buckets = buckets(h);
            w.bulk(command).map(2).bulk("calls").integer(h.getTotalCount()).bulk("histogram_usec").map(buckets.size());
            for (long[] b : buckets) {
                w.integer(b[0]).integer(b[1]);
            }
        });
        return w.done();
    }

    /** (upper bound in microseconds, cumulative count) for each power-of-two bucket from 1024 ns where the count grows. */
    static List<long[]> buckets(Histogram h) {
        List<long[]> out = new ArrayList<>();
        long previous = 0;
        for (HistogramIterationValue v : h.logarithmicBucketValues(1024, 2.0)) {
            long cumulative = v.getTotalCountToThisValue();
            if (cumulative > previous) {
                out.add(new long[] {h.highestEquivalentValue(v.getValueIteratedTo()) / 1000, cumulative});
            }
            previous = cumulative;
        }
        return out;
    }
}
