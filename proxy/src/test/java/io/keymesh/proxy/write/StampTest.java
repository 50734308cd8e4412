package io.keymesh.proxy.write;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.Stamp;

import org.junit.jupiter.api.Test;

/** The wire form of stamps the write path sends: 16 hex digits of the HLC, then the node id, ordered as strings. */
class StampTest {
    @Test
    void stampsOrderAsTheirClocksAndRoundTrip() {
        long a = Hlc.pack(1_700_000_000_000L, 5);
        long b = Hlc.pack(1_700_000_000_000L, 6);
        String sa = Stamp.of(a, "a1b2c3d4");
        String sb = Stamp.of(b, "00000000");
        assertEquals(24, sa.length());
        assertEquals(-1, Integer.signum(sa.compareTo(sb)));
        assertEquals(a, Stamp.hlc(sa));
        assertEquals("a1b2c3d4", Stamp.origin(sa));
        assertEquals("0000000000000000a1b2c3d4", Stamp.of(0, "a1b2c3d4"));
    }
}
