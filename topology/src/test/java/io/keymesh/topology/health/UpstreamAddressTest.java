package io.keymesh.topology.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class UpstreamAddressTest {
    @Test
    void parsesHostPortAndBracketedIpv6() {
        assertEquals(new UpstreamAddress("primary1", 6401), UpstreamAddress.parse("primary1:6401"));
        assertEquals(new UpstreamAddress("::1", 6402), UpstreamAddress.parse("[::1]:6402"));
        assertEquals("[::1]:6402", UpstreamAddress.parse("[::1]:6402").toString());
        assertEquals("127.0.0.1:6401", UpstreamAddress.parse(" 127.0.0.1:6401 ").toString());
    }

    @Test
    void refusesWhatIsNotHostColonPort() {
        for (String bad : new String[] {"primary1", ":6401", "h:0", "h:70000", "h:x", "::1:6401", "[::1]6402"}) {
            assertThrows(IllegalArgumentException.class, () -> UpstreamAddress.parse(bad), bad);
        }
    }
}
