package io.keymesh.storage.apply;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The packed stamps a remote apply carries: exactly what the library's packed_form would store, or nothing, per stamp. */
class ReplicationLogTest {
    private static final byte[] PACKED = {0x01, (byte) 0xa2, 0x2d, (byte) 0xa0, (byte) 0xe3, (byte) 0xd7, 0x00, 0x00,
            0x6a, (byte) 0x8b, 0x55, (byte) 0xdd};

    private static List<byte[]> entry(String... fields) {
        return Arrays.stream(fields).map(f -> f.getBytes(StandardCharsets.ISO_8859_1)).toList();
    }

    private static byte[] lengthThen(byte[]... packed) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : packed) {
            out.write(p.length);
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void aStampOfEvenLengthStartingWithALowTopByteIsPackedTwoDigitsAByteAfterItsLength() {
        byte[] packed = ReplicationLog.packedStamps(entry("t", "01a22da0e3d700006a8b55dd", "k", "key", "s", "v"));
        assertArrayEquals(lengthThen(PACKED), packed);
    }

    @Test
    void stampsTheLibraryWouldNotPackAreLeftToIt() {
        for (String t : List.of("01a22da0e3d700006a8b55dd0",      // a tie-break suffix: odd length
                "20a22da0e3d700006a8b55dd",                        // top byte 0x20 and above
                "01A22DA0E3D700006A8B55DD",                        // upper case
                "01a22da0e3d700006a8b55zz", "")) {
            assertArrayEquals(new byte[] {0}, ReplicationLog.packedStamps(entry("t", t, "k", "key")), t);
        }
        assertEquals(0, ReplicationLog.packedStamps(entry("k", "key")).length, "no stamp, nothing packed");
        assertEquals(0, ReplicationLog.packedStamps(entry()).length);
    }

    @Test
    void anEntryOfSeveralSetsHasEachOfItsStampsPackedInOrder() {
        byte[] packed = ReplicationLog.packedStamps(entry("t", "01a22da0e3d700006a8b55dd", "b", "3", "k", "a", "s", "1",
                "t", "01a22da0e3d700006a8b55dd0", "k", "b", "s", "2",
                "t", "01a22da0e3d700006a8b55dd", "k", "c", "s", "3"));
        assertArrayEquals(lengthThen(PACKED, new byte[0], PACKED), packed);
    }
}
