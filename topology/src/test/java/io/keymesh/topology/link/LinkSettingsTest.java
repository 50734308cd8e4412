package io.keymesh.topology.link;

import io.keymesh.topology.wire.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LinkSettingsTest {
    private static final String STAMP = "01a22da0e3d700006a8b55dd";

    /** An entry of {@code sets} plain SETs of a 100-byte value. */
    private static LogEntry sets(int sets) {
        List<byte[]> f = new ArrayList<>();
        for (int i = 0; i < sets; i++) {
            for (String s : new String[] {"t", STAMP, "k", "key:" + i, "s", "v".repeat(100)}) {
                f.add(s.getBytes(StandardCharsets.US_ASCII));
            }
        }
        return new LogEntry(1, f);
    }

    @Test
    void onlyABusyLogThatDidNotFillABatchIsGivenTimeToFillTheNext() {
        LinkSettings s = LinkSettings.defaults();
        assertEquals(0, s.lingerNanosAfter(List.of()), "nothing read");
        assertEquals(0, s.lingerNanosAfter(Collections.nCopies(LinkSettings.BUSY_WRITES - 1, sets(1))),
                "a quiet log is never delayed");
        assertEquals(s.busyLingerMicros() * 1000, s.lingerNanosAfter(Collections.nCopies(LinkSettings.BUSY_WRITES, sets(1))));
        assertEquals(s.busyLingerMicros() * 1000, s.lingerNanosAfter(Collections.nCopies(s.batchEntriesMax() - 1, sets(1))));
        assertEquals(0, s.lingerNanosAfter(Collections.nCopies(s.batchEntriesMax(), sets(1))),
                "a log filling whole batches is read again at once");
    }

    @Test
    void writesCountNotEntriesSoEntriesOfSeveralSetsMakeALogBusy() {
        LinkSettings s = LinkSettings.defaults();
        assertEquals(0, s.lingerNanosAfter(List.of(sets(LinkSettings.BUSY_WRITES - 1))));
        assertEquals(s.busyLingerMicros() * 1000, s.lingerNanosAfter(List.of(sets(LinkSettings.BUSY_WRITES))),
                "one entry of eight SETs is as busy as eight entries of one");
        assertEquals(0, s.lingerNanosAfter(Collections.nCopies(s.batchBytesMax() / 1000, sets(8))),
                "a batch full by bytes is read again at once");
    }
}
