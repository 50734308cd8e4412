package io.keymesh.storage.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BackendVersionTest {

    @Test
    void comparesNumericallyNotLexically() {
        assertTrue(BackendVersion.compare("7.10.0", "7.9.0") > 0);
        assertTrue(BackendVersion.compare("7.9", "7.10") < 0);
        assertTrue(BackendVersion.compare("10.0.0", "9.9.9") > 0);
        assertTrue(BackendVersion.compare("7.0.15", "7.0.2") > 0);
    }

    @Test
    void missingComponentsCountAsZero() {
        assertEquals(0, BackendVersion.compare("7.0", "7.0.0"));
        assertEquals(0, BackendVersion.compare("7", "7.0.0"));
        assertTrue(BackendVersion.compare("7.0.0.1", "7.0") > 0);
    }

    @Test
    void minimumIsSevenZero() {
        assertTrue(BackendVersion.isAtLeast("7.0.0", BackendVersion.MINIMUM));
        assertTrue(BackendVersion.isAtLeast("7.0.15", BackendVersion.MINIMUM));
        assertTrue(BackendVersion.isAtLeast("7.2.4", BackendVersion.MINIMUM));
        assertTrue(BackendVersion.isAtLeast("255.255.255", BackendVersion.MINIMUM)); // unstable builds
        assertFalse(BackendVersion.isAtLeast("6.2.6", BackendVersion.MINIMUM));
        assertFalse(BackendVersion.isAtLeast("6.9.242", BackendVersion.MINIMUM)); // 7.0 release candidates
    }

    @Test
    void suffixesEndTheNumericPart() {
        assertArrayEquals(new int[] {7, 2, 4}, BackendVersion.parse("7.2.4-rc1"));
        assertArrayEquals(new int[] {7, 2}, BackendVersion.parse("7.2.x"));
        assertArrayEquals(new int[] {7, 0, 15}, BackendVersion.parse(" 7.0.15 "));
        assertEquals(0, BackendVersion.compare("7.2.4-rc1", "7.2.4"));
    }

    @Test
    void rejectsNonVersions() {
        assertThrows(IllegalArgumentException.class, () -> BackendVersion.parse(""));
        assertThrows(IllegalArgumentException.class, () -> BackendVersion.parse(null));
        assertThrows(IllegalArgumentException.class, () -> BackendVersion.parse("unknown"));
        assertThrows(IllegalArgumentException.class, () -> BackendVersion.parse("v7.0"));
        assertThrows(IllegalArgumentException.class, () -> BackendVersion.parse("99999999999.0"));
    }
}
