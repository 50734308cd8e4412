package io.keymesh.topology.wire;

import io.keymesh.topology.clock.Stamp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FramesTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static LogEntry entry(long seq, String txn) {
        return new LogEntry(seq, List.of(b("t"), b("0000018f2a3b4c5d0001a1b2c3d4"), b("x"), b(txn), b("c"), b("SET")));
    }

    private static LinkFrame roundTrip(LinkFrame frame) {
        ByteBuf buf = RespWriter.write(Unpooled.buffer(), Frames.toArgs(frame));
        assertEquals(RespWriter.encodedLength(Frames.toArgs(frame)), buf.readableBytes());
        Object value = RespParser.standard().parse(buf);
        assertTrue(!buf.isReadable());
        return Frames.decode(value);
    }

    @Test
    void batchSurvivesTheWireWithEveryField() {
        LinkFrame.Batch batch = new LinkFrame.Batch("a1b2c3d4", List.of(entry(7, "0"), entry(8, "5")));
        LinkFrame.Batch back = (LinkFrame.Batch) roundTrip(batch);
        assertEquals("a1b2c3d4", back.origin());
        assertEquals(2, back.entries().size());
        assertEquals(8, back.lastSeq());
        assertEquals("5", back.entries().get(1).txn());
        assertEquals("0000018f2a3b4c5d0001a1b2c3d4", back.entries().get(0).stamp());
        assertArrayEquals(b("SET"), back.entries().get(0).fields().get(5));
    }

    @Test
    void otherFramesSurviveTheWire() {
        assertEquals(new LinkFrame.Sync("partial", "a1b2c3d4", 12), roundTrip(new LinkFrame.Sync("partial", "a1b2c3d4", 12)));
        assertEquals(new LinkFrame.Sync("snapshot", "a1b2c3d4", 12, 5000),
                roundTrip(new LinkFrame.Sync("snapshot", "a1b2c3d4", 12, 5000)));
        assertEquals(new LinkFrame.Heartbeat("s", 3), roundTrip(new LinkFrame.Heartbeat("s", 3)));
        assertEquals(new LinkFrame.Ack("a1b2c3d4", 9), roundTrip(new LinkFrame.Ack("a1b2c3d4", 9)));
        assertEquals(new LinkFrame.SnapshotFlush(1, "0000018f2a3b4c5d0001a1b2c3d4"),
                roundTrip(new LinkFrame.SnapshotFlush(1, "0000018f2a3b4c5d0001a1b2c3d4")));
        assertEquals(new LinkFrame.SnapshotLibrary("lib", "0000018f2a3b4c5d0001a1b2c3d4 #!lua name=lib\nredis.register_function('f', function() return 'é' end)"),
                roundTrip(new LinkFrame.SnapshotLibrary("lib", "0000018f2a3b4c5d0001a1b2c3d4 #!lua name=lib\nredis.register_function('f', function() return 'é' end)")));
        LinkFrame.Publish p = (LinkFrame.Publish) roundTrip(new LinkFrame.Publish(true, b("ch"), b("m\r\nx")));
        assertTrue(p.sharded());
        assertArrayEquals(b("m\r\nx"), p.message());
        LinkFrame.SnapshotKey k = (LinkFrame.SnapshotKey) roundTrip(new LinkFrame.SnapshotKey(3, b("key"), List.of(b("meta"), b(""))));
        assertEquals(3, k.db());
        assertEquals(2, k.items().size());
    }

    @Test
    void parserWaitsForAWholeFrameAtEverySplitPoint() {
        ByteBuf whole = RespWriter.write(Unpooled.buffer(), Frames.toArgs(
                new LinkFrame.Batch("a1b2c3d4", List.of(entry(1, "0")))));
        byte[] bytes = new byte[whole.readableBytes()];
        whole.readBytes(bytes);
        for (int split = 0; split < bytes.length; split++) {
            ByteBuf buf = Unpooled.buffer().writeBytes(bytes, 0, split);
            assertSame(RespParser.INCOMPLETE, RespParser.standard().parse(buf));
            assertEquals(0, buf.readerIndex());
            buf.writeBytes(bytes, split, bytes.length - split);
            assertTrue(Frames.decode(RespParser.standard().parse(buf)) instanceof LinkFrame.Batch);
        }
    }

    @Test
    void malformedFramesAreRejected() {
        assertThrows(RespFormatException.class, () -> Frames.decode(List.of(b("BATCH"), b("o"), b("2"), b("1"), b("0"))));
        assertThrows(RespFormatException.class, () -> Frames.decode(List.of(b("NOPE"))));
        assertThrows(RespFormatException.class, () -> Frames.decode(List.of(b("BATCH"), b("o"), b("1"), b("1x"), b("0"))));
        assertThrows(RespFormatException.class, () -> Frames.decode(List.of(b("BATCH"), b("o"), b("-"), b("1"), b("0"))));
        assertThrows(RespFormatException.class, () -> Frames.decode(List.of(b("BATCH"), b("o"), b(""), b("1"), b("0"))));
        assertThrows(RespFormatException.class, () -> RespParser.standard().parse(Unpooled.copiedBuffer("?x\r\n", StandardCharsets.US_ASCII)));
    }

    /** Fuzz peer case 1098 of seed 20261207: a negative count once sized a list of billions (OutOfMemoryError on the pull thread). */
    @Test
    void batchCountsThatDoNotFitTheFrameAreRefusedBeforeAnythingIsAllocated() {
        assertThrows(RespFormatException.class, () -> Frames.decode(List.of(b("BATCH"), -4097916377743573537L,
                -641879643860170357L, b("1.5"), b("fa110000"))));
        assertThrows(RespFormatException.class, () -> Frames.decode(List.of(b("BATCH"), b("o"), b("-1"))));
        assertThrows(RespFormatException.class, () -> Frames.decode(List.of(b("BATCH"), b("o"), b("2000000000"), b("1"), b("0"))));
        assertEquals(new LinkFrame.Batch("o", List.of()), Frames.decode(List.of(b("BATCH"), b("o"), b("0"))));
    }

    @Test
    void sequencesOutsideWhatLuaHoldsExactlyAreRefused() {
        String max = Long.toString(Frames.SEQ_MAX);
        assertEquals(new LinkFrame.SnapshotEnd("a1b2c3d4", Frames.SEQ_MAX), Frames.decode(List.of(b("SNAPEND"), b("a1b2c3d4"), b(max))));
        for (String bad : new String[] {"-1", Long.toString(Frames.SEQ_MAX + 1), Long.toString(Long.MAX_VALUE)}) {
            assertThrows(RespFormatException.class, () -> Frames.decode(List.of(b("SNAPEND"), b("a1b2c3d4"), b(bad))), bad);
            assertThrows(RespFormatException.class, () -> Frames.decode(List.of(b("BATCH"), b("o"), b("1"), b(bad), b("0"))), bad);
            assertThrows(RespFormatException.class, () -> Frames.decode(List.of(b("HB"), b("s"), b(bad))), bad);
            assertThrows(RespFormatException.class, () -> Frames.decode(List.of(b("KEYMESH"), b("ACK"), b("o"), b(bad))), bad);
            assertThrows(RespFormatException.class, () -> Frames.decode(List.of(b("SYNC"), b("partial"), b("o"), b(bad))), bad);
        }
    }

    @Test
    void stampsCarryTheHlcAndOrderAsStrings() {
        String early = Stamp.of(0x18f2a3b4c5d0001L, "a1b2c3d4");
        String late = Stamp.of(0x18f2a3b4c5d0002L, "00000000");
        assertEquals(24, early.length());
        assertEquals(0x18f2a3b4c5d0001L, Stamp.hlc(early));
        assertTrue(early.compareTo(late) < 0);
        assertThrows(IllegalArgumentException.class, () -> Stamp.hlc("zz"));
    }

    @Test
    void aStampIsLowerCaseHexOfAnHlcAndANodeId() {
        String stamp = Stamp.of(0x18f2a3b4c5d0001L, "a1b2c3d4");
        assertTrue(Stamp.valid(stamp));
        assertTrue(Stamp.valid(stamp + "00"), "with the zeros of tie-breaks");
        for (String bad : new String[] {"", "0000000000000000", stamp.substring(0, 23), stamp.toUpperCase(),
                stamp.substring(0, 16) + "a1b2|3d4", stamp + " 5 3", "0000000000000000FFFFFFFF", "g".repeat(24),
                new String(new char[] {'0', '0', 0x01, '|', ' '}) + stamp}) {
            assertFalse(Stamp.valid(bad), bad);
        }
        assertEquals("\"00|\\x01\\x7f\"", Stamp.quote("00|\u0001\u007f"));
    }
}
