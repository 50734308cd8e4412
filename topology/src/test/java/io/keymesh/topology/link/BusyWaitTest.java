package io.keymesh.topology.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.topology.wire.RespError;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class BusyWaitTest {
    private static final RespError BUSY = new RespError("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.");

    @Test
    void onlyRedisBusyReplyMeansWait() {
        assertTrue(BusyWait.isBusy(BUSY));
        assertFalse(BusyWait.isBusy(new RespError("BUSYGROUP Consumer Group name already exists")));
        assertFalse(BusyWait.isBusy(new RespError("BUSYKEY Target key name already exists.")));
        assertFalse(BusyWait.isBusy(new RespError("ERR unknown command")));
        assertFalse(BusyWait.isBusy("BUSY"));
        assertFalse(BusyWait.isBusy(null));
    }

    @Test
    void aWaitIsReportedOnceWhenItStartsAndOnceWhenItEnds() throws IOException {
        List<String> reports = new ArrayList<>();
        BusyWait wait = new BusyWait("test").reportTo(reports::add);
        wait.onAnswered();
        assertEquals(List.of(), reports, "an answer without a wait reports nothing");
        wait.onBusy(BUSY);
        wait.onBusy(BUSY);
        wait.onBusy(BUSY);
        assertEquals(List.of(BusyWait.BACKEND_BUSY), reports);
        wait.onAnswered();
        wait.onAnswered();
        assertEquals(List.of(BusyWait.BACKEND_BUSY, ""), reports);
        wait.onBusy(BUSY);
        assertEquals(List.of(BusyWait.BACKEND_BUSY, "", BusyWait.BACKEND_BUSY), reports, "a new wait is reported again");
    }

    @Test
    void aWaitNoLongerWantedEndsWithAnError() {
        BusyWait wait = new BusyWait("closed link").whileWaiting(() -> false);
        IOException e = assertThrows(IOException.class, () -> wait.onBusy(BUSY));
        assertTrue(e.getMessage().contains("closed link"), e.getMessage());
    }

    @Test
    void linkWaitingNamesTheBusyBackendUntilTheWaitEnds() {
        long[] nanos = {0};
        LinkWaiting waiting = new LinkWaiting("test link", new io.keymesh.topology.clock.TimeSource() {
            @Override
            public long wallMillis() {
                return nanos[0] / 1_000_000;
            }

            @Override
            public long monotonicNanos() {
                return nanos[0];
            }
        });
        assertEquals("", waiting.why());
        waiting.busy(BusyWait.BACKEND_BUSY);
        assertEquals("backend busy", waiting.why());
        waiting.busy("");
        waiting.applying();
        assertEquals("", waiting.why(), "an apply that just started is not slow");
        nanos[0] += LinkWaiting.APPLY_SLOW_NANOS + 1;
        assertEquals(LinkWaiting.APPLY_SLOW, waiting.why(), "an apply running past the threshold is slow");
        waiting.applied(3);
        assertEquals("", waiting.why());
    }
}
