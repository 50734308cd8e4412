package io.keymesh.topology.link;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keymesh.topology.wire.LogEntry;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The packed stamp BatchApply passes to km_r: exactly what the library's packed_form would store, or nothing. */
class BatchApplyTest {
    private static LogEntry entry(String... fields) {
        return new LogEntry(1, Arrays.stream(fields).map(f -> f.getBytes(StandardCharsets.ISO_8859_1)).toList());
    }

    @Test
    void aStampOfEvenLengthStartingWithALowTopByteIsPackedTwoDigitsAByte() {
        byte[] packed = BatchApply.packedStamp(entry("t", "01a22da0e3d700006a8b55dd", "k", "key", "s", "v"));
        assertArrayEquals(new byte[] {0x01, (byte) 0xa2, 0x2d, (byte) 0xa0, (byte) 0xe3, (byte) 0xd7, 0x00, 0x00,
                0x6a, (byte) 0x8b, 0x55, (byte) 0xdd}, packed);
    }

    @Test
    void stampsTheLibraryWouldNotPackAreLeftToIt() {
        for (String t : List.of("01a22da0e3d700006a8b55dd0",      // a tie-break suffix: odd length
                "20a22da0e3d700006a8b55dd",                        // top byte 0x20 and above
                "01A22DA0E3D700006A8B55DD",                        // upper case
                "01a22da0e3d700006a8b55zz", "")) {
            assertEquals(0, BatchApply.packedStamp(entry("t", t, "k", "key")).length, t);
        }
        assertEquals(0, BatchApply.packedStamp(entry("k", "key", "t", "01a22da0e3d700006a8b55dd")).length,
                "the stamp is the first field or none is given");
        assertEquals(0, BatchApply.packedStamp(entry()).length);
    }
}
