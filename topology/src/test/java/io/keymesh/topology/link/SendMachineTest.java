package io.keymesh.topology.link;

import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SendMachineTest {
    private static final LinkSettings SETTINGS = LinkSettings.defaults();
    private static final long SECOND = 1_000_000_000L;

    private static List<LogEntry> entries(long from, long to, String txn) {
        List<LogEntry> out = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            out.add(new LogEntry(s, List.of("x".getBytes(StandardCharsets.US_ASCII), txn.getBytes(StandardCharsets.US_ASCII),
                    "k".getBytes(StandardCharsets.US_ASCII), ("v" + s).getBytes(StandardCharsets.US_ASCII))));
        }
        return out;
    }

    private static <T extends LinkAction> List<T> of(List<LinkAction> actions, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (LinkAction a : actions) {
            if (type.isInstance(a)) {
                out.add(type.cast(a));
            }
        }
        return out;
    }

    private static List<LinkFrame> frames(List<LinkAction> actions) {
        List<LinkFrame> out = new ArrayList<>();
        for (LinkAction.Send s : of(actions, LinkAction.Send.class)) {
            out.add(s.frame());
        }
        return out;
    }

    @Test
    void servesOwnLogToAPeerAtOnceAndNeverEchoesThePeersOwn() {
        SendMachine m = new SendMachine("a", "b", false, Map.of("a", 2L, "b", 0L), SETTINGS);
        assertInstanceOf(LinkAction.CheckLogs.class, m.open(0).get(0));
        List<LinkAction> out = m.onLogs(Map.of("a", new LogSpan(1, 5), "b", new LogSpan(1, 9)), 0);
        assertEquals(new LinkFrame.Sync(LinkFrame.Sync.PARTIAL, SendMachine.ALL_ORIGINS, 0), frames(out).get(0));
        List<LinkAction.ReadLog> reads = of(out, LinkAction.ReadLog.class);
        assertEquals(1, reads.size(), "only the own log is read: b's own entries never go back to b");
        assertEquals("a", reads.get(0).origin());
        assertEquals(2, reads.get(0).afterSeq());
        out = m.onRead("a", 2, entries(3, 5, "0"), 0);
        LinkFrame.Batch batch = (LinkFrame.Batch) frames(out).get(0);
        assertEquals(3, batch.entries().get(0).seq());
        assertEquals(5, batch.lastSeq());
    }

    @Test
    void snapshotWhenTheOwnLogNoLongerHoldsThePeersPosition() {
        SendMachine m = new SendMachine("a", "b", false, Map.of("a", 2L), SETTINGS);
        m.open(0);
        List<LinkAction> out = m.onLogs(Map.of("a", new LogSpan(10, 20), "c", new LogSpan(1, 7)), 0);
        assertEquals(List.of(new LinkAction.SendSnapshot()), out);
        out = m.onSnapshotSent(1);
        assertTrue(frames(out).containsAll(List.of(new LinkFrame.SnapshotEnd("a", 20), new LinkFrame.SnapshotEnd("c", 7))));
        assertEquals(20, of(out, LinkAction.ReadLog.class).get(0).afterSeq());
    }

    @Test
    void aLogTrimmedBelowWhatThePullerAcknowledgedThroughAnotherLinkIsServedOnFromTheAck() {
        SendMachine m = new SendMachine("a", "b", false, Map.of("a", 2L), SETTINGS);
        m.open(0);
        m.onLogs(Map.of("a", new LogSpan(1, 9)), 0);
        List<LinkAction> out = m.onRead("a", 2, entries(3, 5, "0"), 0);
        assertEquals(5, ((LinkFrame.Batch) frames(out).get(0)).lastSeq());
        m.onAck("a", 20, 0);                        // b applied a's entries up to 20 relayed by a third node
        out = m.onLogs(Map.of("a", new LogSpan(15, 30)), SECOND);     // retention followed b's ack
        assertTrue(of(out, LinkAction.Close.class).isEmpty(), "no gap for b: " + out);
        List<LinkAction.ReadLog> reads = of(out, LinkAction.ReadLog.class);
        assertEquals(1, reads.size());
        assertEquals(20, reads.get(0).afterSeq());
        assertEquals(1, m.skips());
        out = m.onRead("a", 20, entries(21, 30, "0"), SECOND);
        assertEquals(21, ((LinkFrame.Batch) frames(out).get(0)).entries().get(0).seq());
        assertEquals(0, m.gapCloses());
    }

    @Test
    void aReadPastATrimToWhatThePullerAcknowledgedGoesOnFromTheAck() {
        SendMachine m = new SendMachine("a", "b", false, Map.of("a", 2L), SETTINGS);
        m.open(0);
        m.onLogs(Map.of("a", new LogSpan(1, 30)), 0);
        m.onAck("a", 12, 0);
        List<LinkAction> out = m.onRead("a", 2, entries(10, 20, "0"), 0);      // 3..9 trimmed, b has up to 12
        assertTrue(of(out, LinkAction.Close.class).isEmpty(), "no gap for b: " + out);
        assertEquals(12, of(out, LinkAction.ReadLog.class).get(0).afterSeq());
        out = m.onRead("a", 2, entries(16, 20, "0"), 0);        // a trim past b's ack is a gap
        assertTrue(of(out, LinkAction.Close.class).isEmpty(), "a read that no longer counts: " + out);
        out = m.onRead("a", 12, entries(16, 20, "0"), 0);
        assertInstanceOf(LinkAction.Close.class, out.get(0));
        assertEquals(1, m.gapCloses());
    }

    @Test
    void aGapInTheLogClosesTheLinkOnce() {
        SendMachine m = new SendMachine("a", "r", true, Map.of("a", 2L), SETTINGS);
        m.open(0);
        m.onLogs(Map.of("a", new LogSpan(1, 9)), 0);
        List<LinkAction> out = m.onRead("a", 2, entries(5, 9, "0"), 0);
        assertInstanceOf(LinkAction.Close.class, out.get(0));
        assertEquals(1, m.gapCloses());
        assertEquals(SendMachine.State.CLOSED, m.state());
    }

    @Test
    void aReplicaGetsEveryOriginAtOnce() {
        SendMachine m = new SendMachine("a", "r", true, Map.of(), SETTINGS);
        m.open(0);
        List<LinkAction> out = m.onLogs(new LinkedHashMap<>(Map.of("a", new LogSpan(1, 3), "b", new LogSpan(1, 4))), 0);
        assertEquals(2, of(out, LinkAction.ReadLog.class).size());
    }

    @Test
    void aTransactionTravelsWholeAcrossReads() {
        SendMachine m = new SendMachine("a", "b", false, Map.of(), SETTINGS);
        m.open(0);
        m.onLogs(Map.of("a", new LogSpan(1, 100)), 0);
        List<LinkAction> out = m.onRead("a", 0, entries(1, 64, "7"), 0);   // a full read: the txn may go on
        assertTrue(frames(out).isEmpty());
        LinkAction.ReadLog next = of(out, LinkAction.ReadLog.class).get(0);
        assertEquals(64, next.afterSeq());
        out = m.onRead("a", 64, entries(65, 70, "7"), 0);
        assertEquals(70, ((LinkFrame.Batch) frames(out).get(0)).entries().size());
    }

    @Test
    void waitsForTheLogWhenCaughtUpAndStopsReadingWhileNotWritable() {
        SendMachine m = new SendMachine("a", "b", false, Map.of("a", 3L), SETTINGS);
        m.open(0);
        m.onLogs(Map.of("a", new LogSpan(1, 3)), 0);
        List<LinkAction> out = m.onRead("a", 3, List.of(), 0);
        LinkAction.AwaitLogs wait = of(out, LinkAction.AwaitLogs.class).get(0);
        assertEquals(Map.of("a", 3L), wait.after());
        assertEquals(SECOND, wait.untilNanos());
        assertTrue(of(m.onWritable(false, 1), LinkAction.ReadLog.class).isEmpty());
        assertEquals(1, of(m.onWake(2), LinkAction.ReadLog.class).size() + of(m.onWritable(true, 2), LinkAction.ReadLog.class).size());
    }

    @Test
    void aBatchNeverAcknowledgedIsSentAgainFromTheAcknowledgedPosition() {
        SendMachine m = new SendMachine("a", "b", false, Map.of("a", 0L), SETTINGS);
        m.open(0);
        m.onLogs(Map.of("a", new LogSpan(1, 5)), 0);
        List<LinkAction> out = m.onRead("a", 0, entries(1, 5, "0"), 0);
        assertEquals(5, ((LinkFrame.Batch) frames(out).get(0)).lastSeq(), "sent, then lost on the way");
        m.onRead("a", 5, List.of(), 0);
        m.onAck("a", 0, 0);
        for (int beat = 1; beat <= SendMachine.STALLED_CHECKS_MAX; beat++) {
            out = m.onLogs(Map.of("a", new LogSpan(1, 5)), beat * SECOND);
            assertTrue(of(out, LinkAction.ReadLog.class).isEmpty(), "heartbeat " + beat + ": the ack may still come");
        }
        out = m.onLogs(Map.of("a", new LogSpan(1, 5)), (SendMachine.STALLED_CHECKS_MAX + 1) * SECOND);
        assertEquals(List.of(new LinkAction.ReadLog("a", 0, of(out, LinkAction.ReadLog.class).get(0).count())),
                of(out, LinkAction.ReadLog.class), "the puller's position is unmoved: read and send again from it");
        assertEquals(1, m.resends());
    }

    @Test
    void aPullerThatAcknowledgesIsNotSentAnythingAgain() {
        SendMachine m = new SendMachine("a", "b", false, Map.of("a", 0L), SETTINGS);
        m.open(0);
        m.onLogs(Map.of("a", new LogSpan(1, 5)), 0);
        m.onRead("a", 0, entries(1, 5, "0"), 0);
        m.onRead("a", 5, List.of(), 0);
        for (int beat = 1; beat <= 2 * SendMachine.STALLED_CHECKS_MAX; beat++) {
            m.onAck("a", beat < 3 ? beat : 5, beat * SECOND);
            List<LinkAction> out = m.onLogs(Map.of("a", new LogSpan(1, 5)), beat * SECOND);
            assertTrue(of(out, LinkAction.ReadLog.class).isEmpty(), "heartbeat " + beat);
        }
        assertEquals(0, m.resends());
    }

    @Test
    void heartbeatDueChecksTheLogsAndAnnouncesTheHead() {
        SendMachine m = new SendMachine("a", "b", false, Map.of("a", 3L), SETTINGS);
        m.open(0);
        m.onLogs(Map.of("a", new LogSpan(1, 3)), 0);
        m.onRead("a", 3, List.of(), 0);
        List<LinkAction> out = m.onWake(SECOND);
        assertEquals(1, of(out, LinkAction.CheckLogs.class).size());
        out = m.onLogs(Map.of("a", new LogSpan(1, 8)), SECOND);
        assertEquals(new LinkAction.SendHeartbeat(8), of(out, LinkAction.SendHeartbeat.class).get(0));
    }

    @Test
    void relaysAnotherOriginOnlyWhileThePeerLagsOnIt() {
        SendMachine m = new SendMachine("b", "c", false, Map.of("a", 0L, "b", 0L), SETTINGS);
        m.open(0);
        List<LinkAction> out = m.onLogs(Map.of("a", new LogSpan(1, 10), "b", LogSpan.EMPTY), 0);
        assertTrue(of(out, LinkAction.ReadLog.class).stream().noneMatch(r -> r.origin().equals("a")),
                "no relay while the peer may get a's entries from a");
        m.onRead("b", 0, List.of(), 0);
        m.onAck("a", 10, SECOND / 2);      // c has a's entries by its own link: no relay
        out = m.onLogs(Map.of("a", new LogSpan(1, 10), "b", LogSpan.EMPTY), 3 * SECOND);
        assertTrue(m.relaying().isEmpty());
        out = m.onLogs(Map.of("a", new LogSpan(1, 30), "b", LogSpan.EMPTY), 4 * SECOND);
        out = m.onLogs(Map.of("a", new LogSpan(1, 40), "b", LogSpan.EMPTY), 7 * SECOND);   // c still at 10
        assertEquals(List.of("a"), m.relaying());
        assertEquals(10, of(out, LinkAction.ReadLog.class).stream().filter(r -> r.origin().equals("a"))
                .findFirst().orElseThrow().afterSeq());
        m.onAck("a", 40, 8 * SECOND);
        m.onLogs(Map.of("a", new LogSpan(1, 40), "b", LogSpan.EMPTY), 9 * SECOND);
        assertFalse(m.relaying().contains("a"), "caught up: relaying stops");
    }
}
