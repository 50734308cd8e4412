package io.keymesh.topology.link;

import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PullMachineTest {
    /** Origins as a SnapshotEnd names them: node ids. */
    private static final String A = "0000000a";
    private static final String B = "0000000b";
    private static final LinkSettings SETTINGS = LinkSettings.defaults();
    private static final long MS = 1_000_000L;

    private static LinkFrame.Batch batch(String origin, long from, long to) {
        List<LogEntry> entries = new java.util.ArrayList<>();
        for (long s = from; s <= to; s++) {
            entries.add(new LogEntry(s, List.of()));
        }
        return new LinkFrame.Batch(origin, entries);
    }

    private static PullMachine streaming() {
        PullMachine m = new PullMachine("c", "peer", SETTINGS, 4);
        assertEquals(List.of(new LinkAction.Connect()), m.start(0));
        assertInstanceOf(LinkAction.Handshake.class, m.onConnected(0).get(0));
        List<LinkAction> out = m.onHandshake("b", Map.of("a", 5L, "b", 7L, "c", 9L), 0);
        assertEquals(List.of(new LinkAction.Pull("peer", Map.of("a", 5L, "b", 7L))), out,
                "pulls every origin but its own, from its positions");
        m.onFrame(new LinkFrame.Sync(LinkFrame.Sync.PARTIAL, "*", 0), 0);
        assertEquals(PullMachine.State.STREAMING, m.state());
        return m;
    }

    @Test
    void appliesInOrderOneAtATimeAndAcks() {
        PullMachine m = streaming();
        assertEquals(List.of(new LinkAction.Apply(batch("a", 6, 8))), m.onFrame(batch("a", 6, 8), 1));
        assertTrue(m.onFrame(batch("a", 9, 9), 1).isEmpty(), "waits for the apply under way");
        List<LinkAction> out = m.onApplied("a", 8, 2);
        assertEquals(List.of(new LinkAction.Send(new LinkFrame.Ack("a", 8)), new LinkAction.Apply(batch("a", 9, 9))), out);
    }

    @Test
    void skipsWhatAnotherLinkAppliedAndClosesOnAGap() {
        PullMachine m = streaming();
        m.onPositions(Map.of("a", 20L), 1);     // another link brought a's entries up to 20
        assertEquals(List.of(new LinkAction.Send(new LinkFrame.Ack("a", 20))), m.onFrame(batch("a", 6, 12), 2));
        assertEquals(1, m.duplicates());
        List<LinkAction> out = m.onFrame(batch("a", 30, 31), 3);
        assertInstanceOf(LinkAction.Close.class, out.get(0));
        assertEquals(PullMachine.State.BACKOFF, m.state());
    }

    @Test
    void refusesItsOwnOriginEchoedBack() {
        PullMachine m = streaming();
        assertInstanceOf(LinkAction.Close.class, m.onFrame(batch("c", 10, 10), 1).get(0));
    }

    @Test
    void reportsEveryPositionAfterAHeartbeat() {
        PullMachine m = streaming();
        assertEquals(List.of(new LinkAction.ReadPositions()), m.onFrame(new LinkFrame.Heartbeat("s", 40), 1));
        List<LinkAction> out = m.onPositions(Map.of("a", 6L, "b", 7L, "c", 11L), 2);
        assertEquals(List.of(new LinkAction.Send(new LinkFrame.Ack("a", 6)), new LinkAction.Send(new LinkFrame.Ack("b", 7))), out);
    }

    @Test
    void backoffDoublesWhileFailingAndResetsOnceStreaming() {
        PullMachine m = new PullMachine("c", "peer", SETTINGS, 4);
        m.start(0);
        LinkAction.Timer t1 = (LinkAction.Timer) m.onClosed("refused", 0).get(0);
        assertEquals(SETTINGS.reconnectMinMillis() * MS, t1.atNanos());
        assertEquals(List.of(new LinkAction.Connect()), m.onTimer(t1.atNanos()));
        LinkAction.Timer t2 = (LinkAction.Timer) m.onClosed("refused", t1.atNanos()).get(0);
        assertEquals(2 * SETTINGS.reconnectMinMillis() * MS, t2.atNanos() - t1.atNanos());
        m.onTimer(t2.atNanos());
        m.onConnected(t2.atNanos());
        m.onHandshake("b", Map.of(), t2.atNanos());
        m.onFrame(new LinkFrame.Sync(LinkFrame.Sync.PARTIAL, "*", 0), t2.atNanos());
        LinkAction.Timer t3 = (LinkAction.Timer) m.onClosed("reset", t2.atNanos()).get(0);
        assertEquals(SETTINGS.reconnectMinMillis() * MS, t3.atNanos() - t2.atNanos());
    }

    @Test
    void timesOutWhenTheUpstreamGoesSilent() {
        PullMachine m = streaming();
        long later = SETTINGS.linkTimeoutMillis() * MS;
        assertInstanceOf(LinkAction.Close.class, m.onTimer(later).get(0));
    }

    @Test
    void snapshotRaisesPositionsAndThenStreams() {
        PullMachine m = new PullMachine("r", "replica", SETTINGS, 4);
        m.start(0);
        m.onConnected(0);
        m.onHandshake("a", Map.of(), 0);
        m.onFrame(new LinkFrame.Sync(LinkFrame.Sync.SNAPSHOT, "*", 0, 3), 0);
        assertEquals(PullMachine.State.SNAPSHOT, m.state());
        LinkFrame key = new LinkFrame.SnapshotKey(0, new byte[] {'k'}, List.of("00000000000000010000000a".getBytes(),
                new byte[0]));
        assertEquals(List.of(new LinkAction.ApplySnapshot(key)), m.onFrame(key, 1));
        assertTrue(m.onFrame(new LinkFrame.SnapshotEnd(A, 50), 1).isEmpty());
        assertEquals(List.of(new LinkAction.RaisePosition(A, 50)), m.onSnapshotApplied(2));
        assertEquals(List.of(new LinkAction.Send(new LinkFrame.Ack(A, 50))), m.onApplied(A, 50, 3));
        assertEquals(PullMachine.State.STREAMING, m.state());
    }

    @Test
    void refusesSnapshotFramesOnAStreamingLink() {
        for (LinkFrame f : List.of(new LinkFrame.SnapshotFlush(0, "0000000000000001b"),
                new LinkFrame.SnapshotLibrary("lib", "0000000000000001b code"),
                new LinkFrame.SnapshotKey(0, new byte[] {'k'}, List.of()))) {
            PullMachine m = streaming();
            List<LinkAction> out = m.onFrame(f, 1);
            assertInstanceOf(LinkAction.Close.class, out.get(0), "a " + f.getClass().getSimpleName() + " outside a snapshot");
            assertEquals(PullMachine.State.BACKOFF, m.state());
            assertTrue(m.lastError().contains("outside a snapshot"), m.lastError());
        }
    }

    private static LogEntry entry(long seq, String... fields) {
        return new LogEntry(seq, java.util.Arrays.stream(fields).map(f -> f.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)).toList());
    }

    @Test
    void refusesABatchWithAMalformedStampFieldBeforeApplyingAny() {
        String t1 = "0000018f2a3b4c5d" + "0a0b0c0d";
        String t2 = "0000018f2a3b4c5e" + "0a0b0c0d";
        String[] bad = {"\u0001|x 1 z", "", "0000018f2a3b4c5d", t1.toUpperCase(), t1 + "|9"};
        for (String b : bad) {
            for (String field : new String[] {"t", "q"}) {
                PullMachine m = streaming();
                LinkFrame.Batch batch = new LinkFrame.Batch("a", List.of(entry(6, "t", t1, "k", "x", "s", "1"),
                        entry(7, "t", t2, "k", "y", "s", "2", field, b, "k", "z", "s", "3")));
                List<LinkAction> out = m.onFrame(batch, 1);
                assertInstanceOf(LinkAction.Close.class, out.get(0), field + " " + b);
                assertTrue(out.stream().noneMatch(a -> a instanceof LinkAction.Apply), "nothing of the batch is applied");
                assertEquals(PullMachine.State.BACKOFF, m.state());
                assertTrue(m.lastError().contains("entry 7 stamped") && m.lastError().contains("refused"), m.lastError());
            }
        }
        for (String db : new String[] {"-1", "4", "x", "01", "99999999999"}) {
            PullMachine m = streaming();
            List<LinkAction> out = m.onFrame(new LinkFrame.Batch("a", List.of(entry(6, "t", t1, "b", db, "k", "x", "s", "1"))), 1);
            assertInstanceOf(LinkAction.Close.class, out.get(0), "database " + db);
            assertTrue(m.lastError().contains("entry 6 in database"), m.lastError());
        }
        PullMachine m = streaming();
        LinkFrame.Batch good = new LinkFrame.Batch("a", List.of(entry(6, "t", t2, "k", "x", "s", "1", "t", t1, "k", "y",
                "s", "2"), entry(7, "t", t2, "b", "3", "k", "c", "q", t1, "i", "3")));
        assertEquals(List.of(new LinkAction.Apply(good)), m.onFrame(good, 1), "lower stamps and flush epochs that are stamps");
    }

    @Test
    void refusesASnapshotEndOnAStreamingLinkAndASecondOneOfAnOrigin() {
        PullMachine m = streaming();
        assertInstanceOf(LinkAction.Close.class, m.onFrame(new LinkFrame.SnapshotEnd(A, 50), 1).get(0));
        assertTrue(m.lastError().contains("on a streaming link"), m.lastError());

        PullMachine s = new PullMachine("r", "replica", SETTINGS, 4);
        s.start(0);
        s.onConnected(0);
        s.onHandshake("a", Map.of(), 0);
        s.onFrame(new LinkFrame.Sync(LinkFrame.Sync.SNAPSHOT, "*", 0, 3), 0);
        assertEquals(List.of(new LinkAction.RaisePosition(A, 50)), s.onFrame(new LinkFrame.SnapshotEnd(A, 50), 1));
        s.onFrame(new LinkFrame.SnapshotEnd(B, 20), 1);
        assertEquals(List.of(new LinkAction.RaisePosition(B, 20)), s.onApplied(A, 50, 2).subList(1, 2),
                "every origin's end of one snapshot");
        s.onApplied(B, 20, 3);
        assertEquals(PullMachine.State.STREAMING, s.state());
        assertInstanceOf(LinkAction.Close.class, s.onFrame(new LinkFrame.SnapshotEnd(A, 90), 4).get(0));
        assertTrue(s.lastError().contains("twice"), s.lastError());
    }

    @Test
    void refusesASnapshotKeyTheLibraryWouldMisreadAndAnEndOfItsOwnOrigin() {
        for (LinkFrame hostile : List.of(
                new LinkFrame.SnapshotKey(4, new byte[] {'k'}, List.of("00000000000000010000000a".getBytes(), new byte[0])),
                new LinkFrame.SnapshotKey(0, new byte[] {'k'}, List.of("zz".getBytes(), new byte[0])),
                new LinkFrame.SnapshotEnd("r", 1 << 20))) {
            PullMachine s = new PullMachine("r", "replica", SETTINGS, 4);
            s.start(0);
            s.onConnected(0);
            s.onHandshake("a", Map.of(), 0);
            s.onFrame(new LinkFrame.Sync(LinkFrame.Sync.SNAPSHOT, "*", 0, 3), 0);
            assertInstanceOf(LinkAction.Close.class, s.onFrame(hostile, 1).get(0), hostile.toString());
            assertTrue(s.lastError().contains("refused"), s.lastError());
        }
    }
}
