package io.keymesh.topology.tls;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every refusal counts; the log hears of each peer once a minute, not once an attempt. */
class TlsRefusalsTest {
    @Test
    void countsEveryRefusalAndLogsEachPeerOncePerMinute() {
        TlsRefusals refusals = new TlsRefusals("TLS client");
        assertTrue(refusals.refused("10.0.0.1", "bad certificate"));
        for (int i = 0; i < 100; i++) {
            assertFalse(refusals.refused("10.0.0.1", "bad certificate"), "attempt " + i + " of the same peer");
        }
        assertTrue(refusals.refused("10.0.0.2", "bad certificate"), "another peer is logged at once");
        assertEquals(102, refusals.count());
    }
}
