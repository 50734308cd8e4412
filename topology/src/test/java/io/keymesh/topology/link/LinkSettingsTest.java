package io.keymesh.topology.link;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LinkSettingsTest {
    @Test
    void onlyABusyLogThatDidNotFillABatchIsGivenTimeToFillTheNext() {
        LinkSettings s = LinkSettings.defaults();
        assertEquals(0, s.lingerNanosAfter(0), "nothing read");
        assertEquals(0, s.lingerNanosAfter(LinkSettings.BUSY_ENTRIES - 1), "a quiet log is never delayed");
        assertEquals(1_000_000, s.lingerNanosAfter(LinkSettings.BUSY_ENTRIES));
        assertEquals(1_000_000, s.lingerNanosAfter(s.batchEntriesMax() - 1));
        assertEquals(0, s.lingerNanosAfter(s.batchEntriesMax()), "a log filling whole batches is read again at once");
    }
}
