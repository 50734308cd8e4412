package io.keymesh.proxy.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** INFO latencystats lines and LATENCY HISTOGRAM replies in Redis 7.0's formats. */
class LatencyReportTest {

    /** 50 calls of 1 µs, 49 of 2 µs, 1 of 100 µs (in nanoseconds, as keymesh records them). */
    private static Histogram sample() {
        Histogram h = CommandLatency.newHistogram();
        h.recordValueWithCount(1_000, 50);
        h.recordValueWithCount(2_000, 49);
        h.recordValue(100_000);
        return h;
    }

    @Test
    void percentilesPrintInMicrosecondsWithThreeDecimalsAsRedisDoes() {
        // Redis prints each percentile's highest equivalent value / 1000 with %.3f ("p50=2.007")
        assertEquals("latency_percentiles_usec_get:p50=1.003,p99=2.007,p99.9=100.351",
                LatencyReport.infoLine("get", sample(), LatencyReport.DEFAULT_PERCENTILES));
        assertEquals("latency_percentiles_usec_client|id:p99.99=100.351,p100=100.351",
                LatencyReport.infoLine("client|id", sample(), List.of(99.99, 100.0)));
    }

    @Test
    void percentileLabelsAreTrimmedAsRedisTrimsThem() {
        assertEquals("50", LatencyReport.percentileLabel(50.0));
        assertEquals("99.9", LatencyReport.percentileLabel(99.9));
        assertEquals("99.99", LatencyReport.percentileLabel(99.99));
        assertEquals("0.5", LatencyReport.percentileLabel(0.5));
    }

    @Test
    void thePercentilesFollowTheBackendsLinesOrDefault() {
        assertEquals(List.of(50.0, 99.0, 99.9), LatencyReport.percentilesOf(""));
        assertEquals(List.of(90.0, 99.99),
                LatencyReport.percentilesOf("latency_percentiles_usec_info:p90=3.007,p99.99=9.015\r\n"));
    }

    @Test
    void commandsWithoutCallsHaveNoLine() {
        Map<String, Histogram> byCommand = new LinkedHashMap<>();
        byCommand.put("get", sample());
        byCommand.put("set", CommandLatency.newHistogram());
        assertEquals("latency_percentiles_usec_get:p50=1.003,p99=2.007,p99.9=100.351\r\n",
                LatencyReport.infoLines(byCommand, LatencyReport.DEFAULT_PERCENTILES));
    }

    @Test
    void histogramReplyHasCallsAndCumulativePowerOfTwoBuckets() {
        Map<String, Histogram> byCommand = new LinkedHashMap<>();
        byCommand.put("get", sample());
        byCommand.put("client|id", sample());
        byCommand.put("set", CommandLatency.newHistogram());
        Map<String, Histogram> selected = LatencyReport.select(byCommand, List.of("GET", "nosuch", "set"));
        assertEquals(List.of("get"), List.copyOf(selected.keySet()), "named commands with calls only");
        assertEquals(List.of("client|id"), List.copyOf(LatencyReport.select(byCommand, List.of("client")).keySet()),
                "a container names its subcommands");

        ByteBuf resp2 = LatencyReport.histogramReply(UnpooledByteBufAllocator.DEFAULT, 2, selected);
        assertEquals("*2\r\n$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:100\r\n$14\r\nhistogram_usec\r\n"
                        + "*6\r\n:1\r\n:50\r\n:2\r\n:99\r\n:131\r\n:100\r\n",
                resp2.toString(StandardCharsets.US_ASCII));
        resp2.release();
        ByteBuf resp3 = LatencyReport.histogramReply(UnpooledByteBufAllocator.DEFAULT, 3, selected);
        assertEquals("%1\r\n$3\r\nget\r\n%2\r\n$5\r\ncalls\r\n:100\r\n$14\r\nhistogram_usec\r\n"
                        + "%3\r\n:1\r\n:50\r\n:2\r\n:99\r\n:131\r\n:100\r\n",
                resp3.toString(StandardCharsets.US_ASCII));
        resp3.release();
    }
}
