package io.keymesh.topology.wire;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SnapshotChecksTest {
    private static final String STAMP = "01a2528add8d005efa110000";
    /** The first bytes of DUMP payloads: a string, a listpack set (7.2+), a listpack hash. */
    private static final byte[] STRING_DUMP = {0, 1, 'v', 10, 0};
    private static final byte[] SET_DUMP = {20, 1};
    private static final byte[] HASH_DUMP = {16, 1};

    private static LinkFrame.SnapshotKey key(int db, Object... items) {
        List<byte[]> out = new ArrayList<>();
        for (Object o : items) {
            out.add(o instanceof byte[] b ? b : o.toString().getBytes(StandardCharsets.ISO_8859_1));
        }
        return new LinkFrame.SnapshotKey(db, "k".getBytes(StandardCharsets.US_ASCII), out);
    }

    @Test
    void keysAsTheApplyLibraryDumpsThemPass() {
        assertNull(SnapshotChecks.key(key(0, STAMP, STRING_DUMP), 4));
        assertNull(SnapshotChecks.key(key(3, STAMP + "|1796684764166", STRING_DUMP), 4));
        assertNull(SnapshotChecks.key(key(1, "||||fa110000 " + STAMP + " 5 2", "", "none"), 4));
        assertNull(SnapshotChecks.key(key(2, "0", HASH_DUMP, "hash", "f", "+0", "v", "fa110000 0 3 1", ""), 4),
                "\"0\", the stamp of a state below every write");
        assertNull(SnapshotChecks.key(key(0, STAMP, HASH_DUMP, "hash", "f", "+" + STAMP, "v", "", "",
                "g", "-" + STAMP, "", "fa110000 " + STAMP + " 1.5 0", "zset"), 4));
        assertNull(SnapshotChecks.key(key(0, STAMP, "", "l", "fa110000 3",
                "t" + STAMP + " a0 fa110000:3", "x", "h" + STAMP + " a1 ", "y"), 4));
        assertNull(SnapshotChecks.key(key(0, STAMP, new byte[] {21, 0}, "stream", "0-1 " + STAMP, "", "", "", "xstream"), 4));
    }

    @Test
    void eachBrokenPartIsNamed() {
        assertTrue(SnapshotChecks.key(key(4, STAMP, STRING_DUMP), 4).contains("database 4"));
        assertTrue(SnapshotChecks.key(key(-1, STAMP, STRING_DUMP), 4).contains("database -1"));
        assertTrue(SnapshotChecks.key(key(0, "g".repeat(24), STRING_DUMP), 4).contains("register"));
        assertTrue(SnapshotChecks.key(key(0, STAMP + "|1e309", STRING_DUMP), 4).contains("expiry"));
        assertTrue(SnapshotChecks.key(key(0, STAMP + "||||fa110000 " + STAMP + " 1e309 0", STRING_DUMP), 4)
                .contains("counters"));
        assertTrue(SnapshotChecks.key(key(0, STAMP + "|1|2|3|4|5|6|7|8", STRING_DUMP), 4).contains("at most 8"));
        assertTrue(SnapshotChecks.key(key(0, STAMP), 4).contains("no metadata and DUMP payload"));
        assertEquals("a DUMP payload of type set where the type item says hash",
                SnapshotChecks.key(key(0, STAMP, SET_DUMP, "hash"), 4));
        assertTrue(SnapshotChecks.key(key(0, STAMP, STRING_DUMP, "none"), 4).contains("type item says none"));
        assertTrue(SnapshotChecks.key(key(0, STAMP, HASH_DUMP, "hash", "f", "+" + STAMP, "v"), 4).contains("member items"));
        assertTrue(SnapshotChecks.key(key(0, STAMP, HASH_DUMP, "hash", "f", "?" + STAMP, "v", "", ""), 4)
                .contains("member register"));
        assertTrue(SnapshotChecks.key(key(0, STAMP, new byte[] {17}, "zset", "m", "+" + STAMP, "x", "", ""), 4)
                .contains("score"));
        assertNull(SnapshotChecks.key(key(0, STAMP, new byte[] {17}, "zset", "m", "+" + STAMP, "-inf", "", ""), 4),
                "a score of -inf is a score");
        assertTrue(SnapshotChecks.key(key(0, STAMP, "", "l", "fa110000 5", "bad-id", "v"), 4).contains("element id"));
        assertTrue(SnapshotChecks.key(key(0, STAMP, "", "l", "fa110000 18446744073709551616"), 4).contains("positions"));
        assertNotNull(SnapshotChecks.key(key(0, STAMP, "", "l", "fa110000 5", "t" + STAMP + " a0 "), 4));
    }

    @Test
    void aStreamsFactsAreCheckedToo() {
        byte[] stream = {21, 0};
        String reg = "+" + STAMP + " 0-0";
        byte[] regs = new byte[2 + 4 + 1 + reg.length()];
        regs[0] = (byte) 0x92;
        regs[1] = (byte) 0xa4;
        System.arraycopy("xgg1".getBytes(StandardCharsets.US_ASCII), 0, regs, 2, 4);
        regs[6] = (byte) (0xa0 + reg.length());
        System.arraycopy(reg.getBytes(StandardCharsets.US_ASCII), 0, regs, 7, reg.length());
        assertNull(SnapshotChecks.key(key(0, STAMP, stream, "stream", "0-1 " + STAMP, STAMP, regs, "", "xstream"), 4));
        assertTrue(SnapshotChecks.key(key(0, STAMP, stream, "stream", "abc def", STAMP, "", "", "xstream"), 4)
                .contains("stream floors"));
        assertTrue(SnapshotChecks.key(key(0, STAMP, stream, "stream", "", "zz", "", "", "xstream"), 4)
                .contains("newest XADD"));
        assertTrue(SnapshotChecks.key(key(0, STAMP, stream, "stream", "", STAMP, new byte[] {(byte) 0x92, (byte) 0xa3,
                'x', 'g', 'a', (byte) 0xa1, 'x'}, "", "xstream"), 4).contains("group register"));
        assertTrue(SnapshotChecks.key(key(0, STAMP, stream, "stream", "", STAMP, new byte[] {(byte) 0x93, 1}, "", "xstream"), 4)
                .contains("msgpack"));
    }

    @Test
    void flushesLibrariesAndEnds() {
        assertNull(SnapshotChecks.flush(new LinkFrame.SnapshotFlush(3, STAMP), 4));
        assertTrue(SnapshotChecks.flush(new LinkFrame.SnapshotFlush(4, STAMP), 4).contains("database 4"));
        assertTrue(SnapshotChecks.flush(new LinkFrame.SnapshotFlush(0, "zz"), 4).contains("not a stamp"));
        assertNull(SnapshotChecks.library(new LinkFrame.SnapshotLibrary("lib", STAMP + " #!lua name=lib\n")));
        assertNotNull(SnapshotChecks.library(new LinkFrame.SnapshotLibrary("lib", "x #!lua name=lib\n")));
        assertNull(SnapshotChecks.end(new LinkFrame.SnapshotEnd("fa110000", 3), "4ffb9537"));
        assertTrue(SnapshotChecks.end(new LinkFrame.SnapshotEnd("4ffb9537", 1 << 20), "4ffb9537").contains("own origin"));
        assertTrue(SnapshotChecks.end(new LinkFrame.SnapshotEnd("nope", 1), "4ffb9537").contains("not a node id"));
    }
}
