package io.keymesh.topology.wire;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FrameStampsTest {
    private static final String T1 = "0001aaaaaaaaaaaa" + "0a0a0a0a";
    private static final String T2 = "0001bbbbbbbbbbbb" + "0b0b0b0b";

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void heartbeatsAndSnapshotFlushesAndLibrariesCarryTheirStamps() {
        assertEquals(List.of(T1), FrameStamps.of(new LinkFrame.Heartbeat(T1, 3)));
        assertEquals(List.of(T1), FrameStamps.of(new LinkFrame.SnapshotFlush(0, T1)));
        assertEquals(List.of(T1), FrameStamps.of(new LinkFrame.SnapshotLibrary("lib", T1 + " #!lua name=lib\nreturn 1")));
        assertEquals(List.of(T1), FrameStamps.of(new LinkFrame.SnapshotLibrary("lib", T1)), "a deleted library");
        assertEquals(List.of(), FrameStamps.of(new LinkFrame.SnapshotEnd("a", 4)));
    }

    @Test
    void aSnapshotKeyCarriesItsMetadataStamps() {
        byte[] meta = bytes(T1 + "|1700000000000|" + T2 + "|" + T1 + "|a " + T2 + " 5 3 b 0 2 2");
        assertEquals(List.of(T1, T2, T1, T2),
                FrameStamps.of(new LinkFrame.SnapshotKey(0, bytes("k"), List.of(meta, bytes("dump")))));
        byte[] packed = {0x00, 0x01, (byte) 0xaa, (byte) 0xaa, (byte) 0xaa, (byte) 0xaa, (byte) 0xaa, (byte) 0xaa, 0x12, 0x34, 0x56, 0x78};
        assertEquals(List.of("0001aaaaaaaaaaaa12345678"),
                FrameStamps.of(new LinkFrame.SnapshotKey(0, bytes("k"), List.of(packed, bytes("dump")))));
        assertEquals(List.of(), FrameStamps.of(new LinkFrame.SnapshotKey(0, bytes("k"), List.of(bytes(""), bytes("")))));
    }

    @Test
    void aBatchCarriesEveryStampFieldOfEveryEntry() {
        LogEntry sets = new LogEntry(4, List.of(bytes("t"), bytes(T2), bytes("k"), bytes("a"), bytes("s"), bytes("1"),
                bytes("t"), bytes(T1), bytes("k"), bytes("b"), bytes("s"), bytes("2")));
        LogEntry incr = new LogEntry(5, List.of(bytes("t"), bytes(T2), bytes("k"), bytes("c"), bytes("q"), bytes(T1),
                bytes("i"), bytes("3")));
        assertEquals(List.of(T2, T1, T2, T1), FrameStamps.batch(List.of(sets, incr)), "lower stamps and flush epochs too");
        assertEquals(T2, sets.stamp(), "the entry's stamp is its newest");
    }
}
