package io.keymesh.topology.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** What a log entry tells outside the apply library: its newest stamp and its txn id. */
class LogEntryTest {
    private static LogEntry entry(String... fields) {
        return new LogEntry(7, Arrays.stream(fields).map(f -> f.getBytes(StandardCharsets.US_ASCII)).toList());
    }

    @Test
    void anEntryOfOneWriteHasItsStamp() {
        LogEntry e = entry("t", "01a22da0e3d700006a8b55dd", "k", "key", "s", "v");
        assertEquals("01a22da0e3d700006a8b55dd", e.stamp());
        assertEquals("0", e.txn());
        assertEquals(1, e.writes());
    }

    @Test
    void anEntryOfSeveralSetsHasTheNewestOfItsStampsWhereverItStands() {
        LogEntry e = entry("t", "01a22da0e3d700006a8b55dd", "k", "a", "s", "1",
                "t", "01a22da0e3d800006a8b55dd0", "k", "b", "s", "2",
                "t", "01a22da0e3d700016a8b55dd", "k", "c", "s", "3");
        assertEquals("01a22da0e3d800006a8b55dd0", e.stamp());
        assertEquals(3, e.writes());
    }

    @Test
    void anEntryWithoutStampHasNone() {
        assertNull(entry("k", "key", "x", "12").stamp());
        assertEquals("12", entry("k", "key", "x", "12").txn());
    }
}
