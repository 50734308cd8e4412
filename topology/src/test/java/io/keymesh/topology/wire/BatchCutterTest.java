package io.keymesh.topology.wire;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BatchCutterTest {
    private static List<LogEntry> run(String... txns) {
        List<LogEntry> out = new ArrayList<>();
        for (int i = 0; i < txns.length; i++) {
            out.add(new LogEntry(i + 1, List.of("x".getBytes(StandardCharsets.US_ASCII),
                    txns[i].getBytes(StandardCharsets.US_ASCII))));
        }
        return out;
    }

    @Test
    void boundsBatchesByEntries() {
        assertEquals(3, new BatchCutter(3, 1 << 20).cut(run("0", "0", "0", "0", "0"), true));
    }

    @Test
    void neverSplitsATransaction() {
        BatchCutter cutter = new BatchCutter(3, 1 << 20);
        assertEquals(2, cutter.cut(run("0", "0", "7", "7", "0"), true));
        assertEquals(4, cutter.cut(run("7", "7", "7", "7", "0"), true), "a transaction larger than a batch goes whole");
    }

    @Test
    void holdsBackATransactionThatMayContinueBeyondWhatWasRead() {
        BatchCutter cutter = new BatchCutter(10, 1 << 20);
        assertEquals(1, cutter.cut(run("0", "7", "7"), false));
        assertEquals(0, cutter.cut(run("7", "7"), false));
        assertEquals(3, cutter.cut(run("0", "7", "7"), true));
    }
}
