package io.keymesh.topology.link;

import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.wire.RespParser;
import io.keymesh.topology.wire.RespStreamReader;
import io.keymesh.topology.wire.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

class FrameInputTest {
    private static LogEntry entry(long seq) {
        return new LogEntry(seq, List.of(bytes("t"), bytes("0000018f2a3b4c5d0001a1b2c3d4"), bytes("k"),
                bytes("key" + seq), bytes("s"), bytes("v")));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static LinkFrame.Batch batch(String origin, long from, long to) {
        List<LogEntry> entries = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            entries.add(entry(s));
        }
        return new LinkFrame.Batch(origin, entries);
    }

    private static byte[] wire(LinkFrame... frames) {
        ByteBuf buf = Unpooled.buffer();
        for (LinkFrame f : frames) {
            RespWriter.write(buf, Frames.toArgs(f));
        }
        return ByteBufUtil.getBytes(buf);
    }

    /** A socket's input: only its first {@code visible} bytes have arrived; the rest comes by a blocking read. */
    private static final class Arriving extends ByteArrayInputStream {
        private int visible;

        Arriving(byte[] data, int visible) {
            super(data);
            this.visible = visible;
        }

        @Override
        public synchronized int available() {
            return Math.max(0, Math.min(visible, count) - pos);
        }

        /** Returns what has arrived; with nothing new, blocks until the rest has arrived (here: at once). */
        @Override
        public synchronized int read(byte[] b, int off, int len) {
            if (pos >= visible) {
                visible = count;
            }
            return super.read(b, off, Math.min(len, Math.max(1, visible - pos)));
        }
    }

    private static FrameInput input(byte[] wire, int visible, int entriesMax) {
        return new FrameInput(new RespStreamReader(new Arriving(wire, visible), RespParser.standard()), entriesMax);
    }

    private static List<Long> seqs(LinkFrame frame) {
        return ((LinkFrame.Batch) frame).entries().stream().map(LogEntry::seq).toList();
    }

    @Test
    void batchesOfOneOriginThatHaveArrivedAreAppliedAsOne() throws IOException {
        byte[] wire = wire(batch("a1", 1, 2), batch("a1", 3, 3), batch("a1", 4, 6), new LinkFrame.Heartbeat("s", 6));
        RespStreamReader reader = new RespStreamReader(new Arriving(wire, wire.length), RespParser.standard());
        FrameInput in = new FrameInput(reader, 512);
        LinkFrame first = in.next();
        assertEquals("a1", ((LinkFrame.Batch) first).origin());
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), seqs(first));
        assertEquals(new LinkFrame.Heartbeat("s", 6), in.next());
        assertEquals(wire.length, reader.bytesRead());
    }

    @Test
    void batchesOfDifferentOriginsStayApart() throws IOException {
        byte[] wire = wire(batch("a1", 1, 2), batch("b2", 7, 8), batch("a1", 3, 3));
        FrameInput in = input(wire, wire.length, 512);
        assertEquals(List.of(1L, 2L), seqs(in.next()));
        LinkFrame second = in.next();
        assertEquals("b2", ((LinkFrame.Batch) second).origin());
        assertEquals(List.of(7L, 8L), seqs(second));
        assertEquals(List.of(3L), seqs(in.next()));
    }

    @Test
    void aJoinedBatchStaysWithinTheEntryBound() throws IOException {
        byte[] wire = wire(batch("a1", 1, 3), batch("a1", 4, 6), batch("a1", 7, 7));
        FrameInput in = input(wire, wire.length, 4);
        assertEquals(List.of(1L, 2L, 3L), seqs(in.next()));
        assertEquals(List.of(4L, 5L, 6L, 7L), seqs(in.next()));
    }

    @Test
    void aJoinedBatchStaysWithinItsByteBudgetWhichFollowsHowLongAppliesTake() throws IOException {
        int entryBytes = entry(1).sizeBytes();
        byte[] wire = wire(batch("a1", 1, 2), batch("a1", 3, 4), batch("a1", 5, 6), batch("a1", 7, 8), batch("a1", 9, 9));
        FrameInput in = new FrameInput(new RespStreamReader(new Arriving(wire, wire.length), RespParser.standard()), 512,
                2L * entryBytes, 4L * entryBytes);
        assertEquals(List.of(1L, 2L, 3L, 4L), seqs(in.next()), "up to the budget of 4 entries' bytes");
        in.applied(FrameInput.APPLY_NANOS_TARGET * 2);
        assertEquals(2L * entryBytes, in.bytesBudget(), "a slow apply halves the budget");
        assertEquals(List.of(5L, 6L), seqs(in.next()));
        in.applied(FrameInput.APPLY_NANOS_TARGET / 10);
        assertEquals(4L * entryBytes, in.bytesBudget(), "a quick one doubles it, up to its maximum");
        assertEquals(List.of(7L, 8L, 9L), seqs(in.next()));
    }

    @Test
    void nothingWaitsForABatchStillArriving() throws IOException {
        byte[] one = wire(batch("a1", 1, 2));
        byte[] wire = wire(batch("a1", 1, 2), batch("a1", 3, 4));
        // the first frame and half of the second have arrived
        FrameInput in = input(wire, one.length + (wire.length - one.length) / 2, 512);
        assertEquals(List.of(1L, 2L), seqs(in.next()));
        LinkFrame second = in.next();
        assertInstanceOf(LinkFrame.Batch.class, second);
        assertEquals(List.of(3L, 4L), seqs(second));
    }
}
